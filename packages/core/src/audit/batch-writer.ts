/**
 * The asynchronous critical section of one batch, run while holding the cross-process lock: find the
 * chain's end (cached while the file is exactly as this process left it: same inode and size; else read
 * from its last line, audit.head and the witnesses), compose the entries, then one write() and one
 * fdatasync() on a long-lived descriptor, on libuv's thread pool, so the event loop keeps taking the
 * next batch's records meanwhile (group commit). On any failure the file is cut back to where it was.
 *
 * With `fsync: always` the descriptor is opened O_DSYNC where the platform has it: each write() returns
 * once its data is durable, as write() then fdatasync() would, in one trip to the thread pool instead of
 * two.
 */
import { constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { type FileHandle, mkdir, open, stat, unlink } from "node:fs/promises";
import { isPolyvaultError } from "../errors.js";
import { chainEnd } from "./chain-end.js";
import { type ChainState, compose } from "./compose.js";
import { readTail } from "./file-io.js";
import { readHead, writeHeadAsync } from "./head.js";
import { chainStarted } from "./signing-key.js";
import type { AuditCheckpoint, AuditRecordInput } from "./types.js";
import { type WitnessState, publicKeyId } from "./witness.js";
import { type WriterContext, refusal } from "./writer.js";

export interface BatchOutcome {
  readonly state: ChainState;
  /** Sequence number given to each input record, in order. */
  readonly seqs: number[];
  readonly bytes: number;
  /**
   * After the batch's waiters are released, still under the lock: copy its checkpoint to audit.head and
   * the witnesses. Never throws (a failure is reported: the head or a witness lags, which verify allows).
   */
  readonly publish: (() => Promise<void>) | undefined;
}

type Witnessed = { readonly state: WitnessState; readonly description: string } | undefined;

/** Every write durable on return (Linux, macOS, the BSDs); undefined where the platform has no such flag. */
const O_DSYNC: number | undefined = constants.O_DSYNC;

export class BatchWriter {
  #fh: FileHandle | undefined;
  #ino = -1;
  /** Whether #fh was opened O_DSYNC (its writes need no fdatasync). */
  #dsync = false;
  #state: ChainState | undefined;
  /** The furthest checkpoint a witness holds (read once, then kept as this process updates them). */
  #witnessed: Witnessed | null = null;

  constructor(readonly ctx: WriterContext) {}

  get state(): ChainState | undefined {
    return this.#state;
  }

  /** Forget the cached chain end (after pruning, or a failed batch): the next batch reads it from the file. */
  invalidate(): void {
    this.#state = undefined;
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** The descriptor of the file now at logPath (reopened when it was replaced, e.g. by pruning). */
  async #file(): Promise<{ fh: FileHandle; ino: number; size: number; created: boolean }> {
    // On the event loop: the kernel answers a stat of a file it just wrote from its caches in microseconds,
    // where a trip to the thread pool would lengthen every batch (and so every waiter's wait) by a wake-up.
    const st = statSync(this.ctx.logPath, { throwIfNoEntry: false });
    if (this.#fh && st && st.ino === this.#ino) return { fh: this.#fh, ino: st.ino, size: st.size, created: false };
    await this.close();
    if (!st) await mkdir(dirname(this.ctx.logPath), { recursive: true, mode: 0o700 });
    const dsync = this.ctx.fsyncAlways && O_DSYNC !== undefined;
    const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (dsync ? (O_DSYNC as number) : 0);
    const fh = await open(this.ctx.logPath, flags, 0o600);
    const fst = await fh.stat();
    this.#fh = fh;
    this.#dsync = dsync;
    this.#ino = fst.ino;
    return { fh, ino: fst.ino, size: fst.size, created: !st };
  }

  async #readWitnesses(): Promise<Witnessed> {
    if (this.#witnessed !== null) return this.#witnessed;
    let best: Witnessed;
    for (const w of this.ctx.witnesses) {
      const state = await w.read(); // a witness that cannot be read refuses the batch: rollback could not be ruled out
      if (state && (!best || state.checkpoint.count > best.state.checkpoint.count)) best = { state, description: w.description };
    }
    this.#witnessed = best;
    return best;
  }

  async #load(fh: FileHandle, newChain: boolean): Promise<ChainState & { empty: boolean }> {
    return chainEnd({
      logPath: this.ctx.logPath,
      tail: readTail(fh.fd),
      head: readHead(this.ctx.headPath),
      witnessed: await this.#readWitnesses(),
      publicKeyId: () => publicKeyId(this.ctx.keys().publicKey),
      evidence: this.ctx.evidence,
      newChainAllowed: newChain,
      now: this.ctx.now().getTime(),
    });
  }

  /** Appends `records` (and a checkpoint when due or `force`d). Call only while holding the lock. */
  async write(records: readonly AuditRecordInput[], force: boolean): Promise<BatchOutcome> {
    const ctx = this.ctx;
    let file: { fh: FileHandle; ino: number; size: number; created: boolean };
    try {
      file = await this.#file();
    } catch (err) {
      throw refusal(ctx, err);
    }
    const { fh, ino, size } = file;
    let start = -1;
    try {
      const cached = this.#state;
      const s: ChainState & { empty?: boolean } =
        cached && cached.ino === ino && cached.size === size
          ? cached
          : await this.#load(fh, ctx.newChain !== undefined).catch(async (err: unknown) => {
              if (file.created) await this.#unlinkCreated(); // a refused first append leaves no empty log behind
              throw err;
            });
      const nc = s.empty === true ? ctx.newChain : undefined;
      const reset = nc !== undefined;
      const input = nc ? [{ actor: nc.actor, action: "audit.new-chain", outcome: "ok", reason: nc.reason }, ...records] : records;
      const c = compose(ctx, { ...s, ino, size }, input, force || reset, ctx.now());
      const seqs = reset ? c.seqs.slice(1) : c.seqs;
      if (c.data.length === 0) {
        this.#state = { ...s, ino, size };
        return { state: this.#state, seqs, bytes: 0, publish: undefined };
      }
      start = size;
      for (let off = 0; off < c.data.length; ) off += (await fh.write(c.data, off, c.data.length - off)).bytesWritten;
      if ((ctx.fsyncAlways || c.checkpoint) && !this.#dsync) await fh.datasync();
      this.#state = { ino, size: size + c.data.length, ...c.end };
      if (s.empty === true && ctx.segment === undefined) chainStarted(ctx.dataDir); // a segment's start says nothing of the main chain
      const checkpoint = c.checkpoint;
      const publish = checkpoint ? () => this.#publish(checkpoint, reset) : undefined;
      return { state: this.#state, seqs, bytes: c.data.length, publish };
    } catch (err) {
      this.#state = undefined;
      if (start >= 0) await fh.truncate(start).catch(() => undefined); // else the next writer refuses the torn line
      throw isPolyvaultError(err) ? err : refusal(ctx, err);
    }
  }

  async #unlinkCreated(): Promise<void> {
    await this.close();
    const st = await stat(this.ctx.logPath).catch(() => undefined);
    if (st?.size === 0 && st.ino === this.#ino) await unlink(this.ctx.logPath).catch(() => undefined);
  }

  /**
   * Hands a durable checkpoint to audit.head (written only once the log holds it, so the head never
   * vouches for more than the log) and to every witness; one that refuses or fails is reported.
   */
  async #publish(checkpoint: AuditCheckpoint, reset: boolean): Promise<void> {
    try {
      await writeHeadAsync(this.ctx.headPath, checkpoint);
    } catch (err) {
      this.ctx.onSideError(err, this.ctx.headPath);
    }
    try {
      this.ctx.onCheckpoint?.(checkpoint);
    } catch (err) {
      this.ctx.onSideError(err, "the checkpoint's statement in the main chain");
    }
    if (this.ctx.witnesses.length === 0) return;
    const state: WitnessState = { publicKey: publicKeyId(this.ctx.keys().publicKey), checkpoint };
    for (const w of this.ctx.witnesses) {
      try {
        await w.update(state, reset);
        this.#witnessed = { state, description: w.description };
      } catch (err) {
        this.ctx.onSideError(err, w.description);
      }
    }
  }
}
