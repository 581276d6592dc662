/**
 * The critical section of an append, run while holding the lock: find the chain's end (from the cached
 * state when the file is exactly as this process left it, else from the file's last line), add the
 * entries with their hashes, sign a checkpoint when one is due, write everything in one write(), fsync
 * per the policy, and on any failure cut the file back to where it was, so no partial line stays behind.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { IntegrityError, UnavailableError, isPolyvaultError } from "../errors.js";
import { canonical, compact, hashEntry, recordMac, sha256Hex, signStatement } from "./canonical.js";
import { readTail } from "./file-io.js";
import { type HeadEntry, headSeq, readHead, writeHead } from "./head.js";
import type { AuditKeys } from "./signing-key.js";
import { type AuditCheckpoint, type AuditRecordInput, GENESIS } from "./types.js";

export interface ChainState {
  readonly ino: number;
  readonly size: number;
  readonly seq: number;
  readonly hash: string;
  readonly lastCheckpointSeq: number;
  readonly lastCheckpointAt: number;
}

export interface WriterContext {
  readonly logPath: string;
  readonly headPath: string;
  readonly checkpointEvery: number;
  readonly checkpointMs: number;
  readonly fsyncAlways: boolean;
  readonly keys: () => AuditKeys;
  readonly now: () => Date;
}

export interface WriteOutcome {
  readonly state: ChainState;
  /** Sequence number given to each input record, in order. */
  readonly seqs: number[];
  readonly checkpointed: boolean;
}

/** Where the chain ends, read from the file (and audit.head) when the cached state is stale. */
function loadState(ctx: WriterContext, fd: number): ChainState {
  const tail = readTail(fd);
  if (!tail.complete)
    throw new IntegrityError(`${ctx.logPath} ends with an incomplete line; run \`polyvault audit verify\` (appends are refused until it is resolved)`);
  const head: HeadEntry | undefined = readHead(ctx.headPath);
  let seq = 0;
  let hash = GENESIS;
  let last: Record<string, unknown> | undefined;
  if (tail.lastLine !== undefined) {
    try {
      last = JSON.parse(tail.lastLine) as Record<string, unknown>;
    } catch {
      throw new IntegrityError(`the last line of ${ctx.logPath} is not valid JSON; run \`polyvault audit verify\``);
    }
    seq = last.type === "anchor" ? Number(last.count) : Number(last.seq);
    hash = last.type === "anchor" ? String(last.head) : hashEntry(last);
    if (!Number.isInteger(seq)) throw new IntegrityError(`the last line of ${ctx.logPath} is not an audit entry; run \`polyvault audit verify\``);
  }
  // Never extend a log that lost entries the signed head vouches for: that would bury the truncation.
  if (head && headSeq(head) > seq) {
    throw new IntegrityError(
      `${ctx.logPath} ends at record ${seq} but its last signed checkpoint is record ${headSeq(head)}: the log was truncated; appends are refused (see docs/audit.md)`,
    );
  }
  const lastIsCheckpoint = last?.type === "checkpoint" || last?.type === "anchor";
  return {
    ino: tail.ino,
    size: tail.size,
    seq,
    hash,
    lastCheckpointSeq: lastIsCheckpoint ? seq : head ? headSeq(head) : 0,
    // No checkpoint yet: count the T seconds from now, not from 1970.
    lastCheckpointAt: head ? Date.parse(head.time) : ctx.now().getTime(),
  };
}

export function writeEntries(ctx: WriterContext, cached: ChainState | undefined, records: readonly AuditRecordInput[], forceCheckpoint: boolean): WriteOutcome {
  let fd: number;
  try {
    fd = openSync(ctx.logPath, "a+", 0o600);
  } catch (err) {
    throw refusal(ctx, err);
  }
  let start = -1;
  try {
    const st = fstatSync(fd);
    const s = cached && cached.ino === st.ino && cached.size === st.size ? cached : loadState(ctx, fd);
    const time = ctx.now();
    const iso = time.toISOString();
    let { seq, hash, lastCheckpointSeq, lastCheckpointAt } = s;
    const lines: string[] = [];
    let checkpoint: AuditCheckpoint | undefined;
    const add = (entry: object) => {
      const line = canonical(entry);
      lines.push(line);
      hash = sha256Hex(line);
    };
    const seal = () => {
      const keys = ctx.keys();
      checkpoint = { v: 1, type: "checkpoint", seq: seq + 1, time: iso, prev: hash, count: seq, head: hash, sig: signStatement(keys.privateKey, seq, hash) };
      seq++;
      add(checkpoint);
      lastCheckpointSeq = seq;
      lastCheckpointAt = time.getTime();
    };
    const seqs: number[] = [];
    for (const r of records) {
      seq++;
      seqs.push(seq);
      const entry = compact({ ...r, v: 1, type: "record", seq, time: iso, prev: hash });
      add({ ...entry, mac: recordMac(ctx.keys().macKey, entry) });
      if (seq - lastCheckpointSeq >= ctx.checkpointEvery) seal();
    }
    const unsigned = seq > lastCheckpointSeq;
    if (unsigned && (forceCheckpoint || time.getTime() - lastCheckpointAt >= ctx.checkpointMs)) seal();
    if (lines.length === 0) return { state: s, seqs, checkpointed: false };
    const data = Buffer.from(`${lines.join("\n")}\n`, "utf8");
    start = st.size;
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
    if (ctx.fsyncAlways || checkpoint) fsyncSync(fd);
    if (checkpoint) writeHead(ctx.headPath, checkpoint);
    const state = { ino: st.ino, size: st.size + data.length, seq, hash, lastCheckpointSeq, lastCheckpointAt };
    return { state, seqs, checkpointed: checkpoint !== undefined };
  } catch (err) {
    if (start >= 0) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // nothing more can be done; the next writer refuses the torn line
      }
    }
    throw isPolyvaultError(err) ? err : refusal(ctx, err);
  } finally {
    closeSync(fd);
  }
}

function refusal(ctx: WriterContext, err: unknown): UnavailableError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new UnavailableError(`audit log ${ctx.logPath} cannot be written (${code}); the operation is refused`, { cause: err });
}
