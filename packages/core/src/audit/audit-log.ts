/**
 * The audit log of one data directory (docs/audit.md). append() queues a record and resolves once it is
 * written (and fsynced, by default): records queued while a write is under way go out together in the
 * next one (group commit), so concurrent callers share one lock and one fsync. A checkpoint is signed
 * every `checkpointEvery` entries, when the last one is `checkpointSeconds` old, and at close(); a process
 * that exits without close() still seals what it wrote, from a synchronous exit hook.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import { withLock, withLockSync } from "./lock.js";
import { type PruneResult, pruneLog } from "./prune.js";
import { type AuditKeys, ensureSigningKey } from "./signing-key.js";
import { AUDIT_DEFAULTS, AUDIT_FILES, type AuditOptions, type AuditRecordInput } from "./types.js";
import { type ChainState, type WriterContext, writeEntries } from "./writer.js";

interface Pending {
  readonly record: AuditRecordInput | undefined; // undefined: a checkpoint request
  readonly resolve: (seq: number) => void;
  readonly reject: (err: unknown) => void;
}

const FIELDS = ["actor", "action", "outcome", "tenant", "name", "provider", "requestId", "reason", "detail"] as const;
const live = new Set<AuditLog>();
let exitHooked = false;

export class AuditLog {
  readonly dataDir: string;
  readonly logPath: string;
  readonly #lock: string;
  readonly #ctx: WriterContext;
  readonly #retentionDays: number;
  #keys: AuditKeys | undefined;
  #state: ChainState | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** This process wrote entries that no checkpoint it knows of covers yet. */
  #unsealed = false;
  #closed = false;

  constructor(dataDir: string, options: AuditOptions & { now?: () => Date } = {}) {
    this.dataDir = dataDir;
    this.logPath = join(dataDir, AUDIT_FILES.log);
    this.#lock = join(dataDir, AUDIT_FILES.lock);
    this.#retentionDays = options.retentionDays ?? AUDIT_DEFAULTS.retentionDays;
    this.#ctx = {
      logPath: this.logPath,
      headPath: join(dataDir, AUDIT_FILES.head),
      checkpointEvery: options.checkpointEvery ?? AUDIT_DEFAULTS.checkpointEvery,
      checkpointMs: (options.checkpointSeconds ?? AUDIT_DEFAULTS.checkpointSeconds) * 1000,
      fsyncAlways: (options.fsync ?? AUDIT_DEFAULTS.fsync) === "always",
      keys: () => (this.#keys ??= ensureSigningKey(dataDir)),
      now: options.now ?? (() => new Date()),
    };
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", () => {
        for (const log of live) log.sealSync();
      });
    }
  }

  /** Appends one record; resolves with its sequence number once written. Rejects (fail closed) when it cannot be. */
  append(record: AuditRecordInput): Promise<number> {
    if (this.#closed) return Promise.reject(new InvalidInputError("audit log is closed"));
    const clean: Record<string, string> = {};
    for (const f of FIELDS) {
      const v = record[f];
      if (v === undefined) continue;
      if (typeof v !== "string" || v.length === 0 || v.length > 512)
        return Promise.reject(new InvalidInputError(`audit record field ${f} must be a string of 1–512 characters`));
      clean[f] = v;
    }
    if (!clean.actor || !clean.action || !clean.outcome) return Promise.reject(new InvalidInputError("an audit record needs actor, action and outcome"));
    return this.#enqueue(clean as unknown as AuditRecordInput);
  }

  /** Signs a checkpoint now if any entry follows the last one. */
  async checkpoint(): Promise<void> {
    await this.#enqueue(undefined);
  }

  /** Seals what this process wrote, prunes past retention if due, and stops the timer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#unsealed || this.#queue.length) await this.checkpoint();
      if (this.#state) await this.prune({ onlyIfDue: true });
    } finally {
      this.#closed = true;
      clearTimeout(this.#timer);
      live.delete(this);
    }
  }

  /** Drops records older than the retention period behind a signed anchor (docs/audit.md, "Retention"). */
  async prune(options: { onlyIfDue?: boolean; now?: Date } = {}): Promise<PruneResult> {
    await this.#draining;
    const now = options.now ?? this.#ctx.now();
    const result = await withLock(this.logPath, this.#lock, () => pruneLog(this.#ctx, now, this.#retentionDays, options.onlyIfDue ?? false));
    if (result.pruned > 0) this.#state = undefined;
    return result;
  }

  /** The exit hook's seal: synchronous, best effort (a failure leaves an unsigned tail that verify reports). */
  sealSync(): void {
    if (!this.#unsealed || this.#closed) return;
    try {
      // Wait past the 10 s after which a lock left by a killed process counts as stale.
      const r = withLockSync(this.logPath, this.#lock, () => writeEntries(this.#ctx, this.#state, [], true), 11_000);
      this.#state = r.state;
      this.#unsealed = false;
    } catch {
      // nothing can be reported from an exit hook
    }
  }

  #enqueue(record: AuditRecordInput | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0);
        const records = batch.flatMap((p) => (p.record ? [p.record] : []));
        const force = batch.some((p) => !p.record);
        try {
          mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
          const r = await withLock(this.logPath, this.#lock, () => writeEntries(this.#ctx, this.#state, records, force));
          this.#state = r.state;
          this.#unsealed = r.state.seq > r.state.lastCheckpointSeq;
          let i = 0;
          for (const p of batch) p.resolve(p.record ? (r.seqs[i++] ?? 0) : r.state.seq);
          this.#armTimer();
        } catch (err) {
          this.#state = undefined;
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #armTimer(): void {
    if (!this.#unsealed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.checkpoint().catch(() => undefined);
    }, this.#ctx.checkpointMs);
    this.#timer.unref();
  }
}
