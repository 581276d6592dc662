/**
 * The audit log of one data directory (docs/audit.md). append() queues a record and resolves once it is
 * written (and fsynced, by default): records queued while a write is under way go out together in the
 * next one (group commit), so concurrent callers share one lock and one fsync. A checkpoint is signed
 * every `checkpointEvery` entries, when the last one is `checkpointSeconds` old, and at close(); a process
 * that exits without close() still seals what it wrote, from a synchronous exit hook.
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { InvalidInputError } from "../errors.js";
import { BatchWriter } from "./batch-writer.js";
import { GroupCommit } from "./group-commit.js";
import { withLock, withLockSync } from "./lock.js";
import { type PruneResult, pruneLog } from "./prune.js";
import { segmentChainFiles } from "./segments.js";
import { chainEvidence } from "./evidence.js";
import { mainChainFiles } from "./verify.js";
import { type AuditKeys, ensureSigningKey } from "./signing-key.js";
import { AUDIT_DEFAULTS, AUDIT_FILES, type AuditCheckpoint, type AuditOptions, type AuditRecordInput } from "./types.js";
import { type AuditWitness, FileWitness } from "./witness.js";
import { type WriterContext, sealSync } from "./writer.js";

/** One batch, as the writer saw it (bench/audit.mjs prints their distribution). */
export interface AuditBatchInfo {
  readonly records: number;
  readonly bytes: number;
  /** From taking the lock's turn to the batch being durable. */
  readonly ms: number;
}

export interface AuditLogOptions extends AuditOptions {
  readonly now?: (() => Date) | undefined;
  /** Witnesses besides `witness.file` (the sync state store, a provider): docs/audit.md, "Witnesses". */
  readonly witnesses?: readonly AuditWitness[] | undefined;
  /** Told when audit.head or a witness refuses or cannot take a checkpoint (the batch stands; they lag). */
  readonly onSideError?: ((err: unknown, where: string) => void) | undefined;
  /** `audit new-chain`: start a new chain if the log is empty, its first record naming who and why. */
  readonly allowNewChain?: { readonly actor: string; readonly reason: string } | undefined;
  readonly onBatch?: ((batch: AuditBatchInfo) => void) | undefined;
  /**
   * A segment of the data directory's log (segments.ts): its files under audit-segments/<segment>/, the
   * directory's key; no witnesses (the main chain vouches for it). `onCheckpoint` is told each checkpoint
   * once it is durable, to state it in the main chain.
   */
  readonly segment?: string | undefined;
  readonly onCheckpoint?: ((checkpoint: AuditCheckpoint) => void) | undefined;
}

/** The configured file witness, refused inside the data directory (its attacker could rewrite it). */
function fileWitness(dataDir: string, file: string | undefined): AuditWitness[] {
  if (file === undefined) return [];
  const rel = relative(resolve(dataDir), resolve(file));
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)))
    throw new InvalidInputError(
      `audit.witness.file ${file} is inside the data directory ${dataDir}: a witness must be out of reach of whoever can write the log`,
    );
  return [new FileWitness(resolve(file))];
}

/** The longest text an audit record field holds (append refuses longer). */
export const AUDIT_FIELD_MAX = 512;

/**
 * `text` cut to fit an audit record field: when longer than `max`, its first `max - 3` UTF-16 units and
 * "...", never cutting a character's surrogate pair in two.
 */
export function clipAuditText(text: string, max = AUDIT_FIELD_MAX): string {
  if (text.length <= max) return text;
  let end = max - 3;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end)}...`;
}

const FIELDS = ["actor", "action", "outcome", "tenant", "name", "provider", "requestId", "reason", "detail"] as const;
const live = new Set<AuditLog>();
let exitHooked = false;

export class AuditLog {
  readonly dataDir: string;
  readonly logPath: string;
  /** Set for a segment's log (segments.ts). */
  readonly segment: string | undefined;
  readonly #lock: string;
  readonly #ctx: WriterContext;
  readonly #writer: BatchWriter;
  readonly #retentionDays: number;
  readonly #onBatch: ((batch: AuditBatchInfo) => void) | undefined;
  #keys: AuditKeys | undefined;
  readonly #group: GroupCommit;
  #timer: NodeJS.Timeout | undefined;
  /** This process wrote entries that no checkpoint it knows of covers yet. */
  #unsealed = false;
  #closed = false;
  readonly #options: AuditLogOptions;

  constructor(dataDir: string, options: AuditLogOptions = {}) {
    this.dataDir = dataDir;
    this.#options = options;
    this.segment = options.segment;
    const files = options.segment === undefined ? mainChainFiles(dataDir) : segmentChainFiles(dataDir, options.segment);
    const dir = dirname(files.logPath);
    this.logPath = files.logPath;
    this.#lock = join(dir, AUDIT_FILES.lock);
    this.#retentionDays = options.retentionDays ?? AUDIT_DEFAULTS.retentionDays;
    this.#onBatch = options.onBatch;
    this.#ctx = {
      dataDir,
      logPath: this.logPath,
      headPath: files.headPath,
      files,
      segment: options.segment,
      evidence: options.segment === undefined ? () => chainEvidence(dataDir) : () => undefined,
      onCheckpoint: options.onCheckpoint,
      checkpointEvery: options.checkpointEvery ?? AUDIT_DEFAULTS.checkpointEvery,
      checkpointMs: (options.checkpointSeconds ?? AUDIT_DEFAULTS.checkpointSeconds) * 1000,
      fsyncAlways: (options.fsync ?? AUDIT_DEFAULTS.fsync) === "always",
      keys: () => (this.#keys ??= ensureSigningKey(dataDir)),
      now: options.now ?? (() => new Date()),
      witnesses: options.segment === undefined ? [...fileWitness(dataDir, options.witness?.file), ...(options.witnesses ?? [])] : [],
      newChain: options.allowNewChain,
      onSideError: options.onSideError ?? (() => undefined),
    };
    this.#writer = new BatchWriter(this.#ctx);
    this.#group = new GroupCommit(this.#writer, {
      dataDir: dir,
      logPath: this.logPath,
      lockPath: this.#lock,
      onDurable: (unsealed, records, bytes, ms) => {
        this.#unsealed = unsealed;
        this.#onBatch?.({ records, bytes, ms });
        this.#armTimer();
      },
    });
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", () => {
        for (const log of live) log.sealSync();
      });
    }
  }

  /** Segment `segment` of the same directory with the same settings (retention, fsync, checkpoints), for a reader that seals it (export). */
  sibling(segment: string): AuditLog {
    const { witnesses: _w, onCheckpoint: _c, allowNewChain: _n, onBatch: _b, ...same } = this.#options;
    return new AuditLog(this.dataDir, { ...same, segment });
  }

  /** Appends one record; resolves with its sequence number once written. Rejects (fail closed) when it cannot be. */
  append(record: AuditRecordInput): Promise<number> {
    if (this.#closed) return Promise.reject(new InvalidInputError("audit log is closed"));
    const clean: Record<string, string> = {};
    for (const f of FIELDS) {
      const v = record[f];
      if (v === undefined) continue;
      if (typeof v !== "string" || v.length === 0 || v.length > AUDIT_FIELD_MAX)
        return Promise.reject(new InvalidInputError(`audit record field ${f} must be a string of 1–${AUDIT_FIELD_MAX} characters`));
      // A lone surrogate (text cut inside a character pair) has no canonical JSON form: it would fail
      // this record and every record batched with it. It is kept as U+FFFD, as a UTF-8 decoder would.
      clean[f] = v.isWellFormed() ? v : v.toWellFormed();
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
      if (this.#unsealed || this.#group.pending) await this.checkpoint();
      if (this.#writer.state) await this.prune({ onlyIfDue: true });
    } finally {
      this.#closed = true;
      clearTimeout(this.#timer);
      live.delete(this);
      await this.#writer.close();
    }
  }

  /** Drops records older than the retention period behind a signed anchor (docs/audit.md, "Retention"). */
  async prune(options: { onlyIfDue?: boolean; now?: Date } = {}): Promise<PruneResult> {
    await this.#group.idle();
    const now = options.now ?? this.#ctx.now();
    const result = await withLock(this.logPath, this.#lock, () => pruneLog(this.#ctx, now, this.#retentionDays, options.onlyIfDue ?? false));
    if (result.pruned > 0) this.#writer.invalidate();
    return result;
  }

  /**
   * The exit hook's seal: synchronous, best effort (a failure leaves an unsigned tail that verify reports,
   * and the next writer seals). Skipped while a batch's write is in flight (it may still land, and a seal
   * beside it could interleave with it); while this process holds the lock after a durable write (its
   * waiters were released, audit.head is being written), it seals under that lock.
   */
  sealSync(): void {
    if (!this.#unsealed || this.#closed || this.#group.phase === "writing") return;
    try {
      const seal = () => sealSync(this.#ctx, this.#writer.state);
      // Else wait past the 10 s after which a lock left by a killed process counts as stale.
      if (this.#group.phase === "publishing") seal();
      else withLockSync(this.logPath, this.#lock, seal, 11_000);
      this.#writer.invalidate();
      this.#unsealed = false;
    } catch {
      // nothing can be reported from an exit hook
    }
  }

  #enqueue(record: AuditRecordInput | undefined): Promise<number> {
    return this.#group.enqueue(record);
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
