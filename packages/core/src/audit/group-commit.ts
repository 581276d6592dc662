/**
 * Group commit (as database write-ahead logs do: RocksDB write groups, PostgreSQL's XLogFlush): records
 * from concurrent operations join the batch that is filling; one batch at a time is written with one
 * write() and one fdatasync(), on the thread pool, while the next one fills. Each waiter is released once
 * its batch is durable. The cross-process lock is taken once per batch at most: when records are already
 * waiting as a batch is published, the writer keeps the lock for them, up to HOLD_BATCHES batches or
 * HOLD_MS, then lets other processes (a CLI beside `serve`) take their turn.
 */
import { mkdir } from "node:fs/promises";
import type { BatchWriter } from "./batch-writer.js";
import { withLock } from "./lock.js";
import type { AuditRecordInput } from "./types.js";

interface Pending {
  readonly record: AuditRecordInput | undefined; // undefined: a checkpoint request
  readonly resolve: (seq: number) => void;
  readonly reject: (err: unknown) => void;
}

export interface GroupCommitHooks {
  readonly dataDir: string;
  readonly logPath: string;
  readonly lockPath: string;
  /** After each durable batch: whether entries follow the last checkpoint, and the batch's figures. */
  readonly onDurable: (unsealed: boolean, records: number, bytes: number, ms: number) => void;
}

const HOLD_BATCHES = 16;
const HOLD_MS = 10;

export class GroupCommit {
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #dirReady: Promise<void> | undefined;
  /** Where the current batch is (the exit hook must not write beside a write in flight). */
  phase: "idle" | "writing" | "publishing" = "idle";

  constructor(
    readonly writer: BatchWriter,
    readonly hooks: GroupCommitHooks,
  ) {}

  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves when nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  enqueue(record: AuditRecordInput | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        try {
          // The lock directory lives in the data directory: make sure it exists (once, and again after a failure).
          this.#dirReady ??= mkdir(this.hooks.dataDir, { recursive: true, mode: 0o700 }).then(() => undefined);
          await this.#dirReady;
          await withLock(this.hooks.logPath, this.hooks.lockPath, () => this.#underLock());
        } catch (err) {
          // The lock could not be had (or the directory made): everything waiting is refused.
          this.#dirReady = undefined;
          for (const p of this.#queue.splice(0)) p.reject(err);
        } finally {
          this.phase = "idle";
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /** Batches while the lock is held: the first, then any that are waiting, within the hold limits. */
  async #underLock(): Promise<void> {
    const since = performance.now();
    try {
      for (let n = 1; ; n++) {
        if (!(await this.#batch())) return; // a failed batch: release the lock, start afresh
        if (n >= HOLD_BATCHES || performance.now() - since > HOLD_MS) return;
        await new Promise((r) => setImmediate(r)); // let the callers just released queue their next records
        if (this.#queue.length === 0) return;
      }
    } finally {
      this.phase = "idle"; // from here the lock is being released: the exit hook must take it again
    }
  }

  async #batch(): Promise<boolean> {
    const batch = this.#queue.splice(0);
    const records = batch.flatMap((p) => (p.record ? [p.record] : []));
    const force = batch.some((p) => !p.record);
    const t0 = performance.now();
    try {
      this.phase = "writing";
      const r = await this.writer.write(records, force);
      this.phase = "publishing";
      // Durable: release the waiters now; the next batch fills while the head and witnesses are written.
      let i = 0;
      for (const p of batch) if (p.record) p.resolve(r.seqs[i++] ?? 0);
      this.hooks.onDurable(r.state.seq > r.state.lastCheckpointSeq, records.length, r.bytes, performance.now() - t0);
      await r.publish?.();
      for (const p of batch) if (!p.record) p.resolve(r.state.seq); // checkpoint() resolves once audit.head has it
      return true;
    } catch (err) {
      this.#dirReady = undefined;
      this.writer.invalidate();
      for (const p of batch) p.reject(err);
      return false;
    }
  }
}
