/**
 * The pure part of an append: given where the chain ends, turn records into entries (sequence number,
 * time, hash link, MAC), sign a checkpoint when one is due, and say where the chain ends after them.
 * No I/O: the batch writer (batch-writer.ts) and the exit hook's synchronous seal (writer.ts) share it.
 */
import { canonical, macedLine, sha256Hex, signStatement } from "./canonical.js";
import type { AuditKeys } from "./signing-key.js";
import type { AuditCheckpoint, AuditRecordInput } from "./types.js";

/** Where the chain ends, and for which file (inode, size) that was read. */
export interface ChainState {
  readonly ino: number;
  readonly size: number;
  readonly seq: number;
  readonly hash: string;
  readonly lastCheckpointSeq: number;
  readonly lastCheckpointAt: number;
}

export interface ComposeOptions {
  readonly checkpointEvery: number;
  readonly checkpointMs: number;
  readonly keys: () => AuditKeys;
}

export interface Composed {
  /** The bytes to append (empty when there is nothing to write). */
  readonly data: Buffer;
  /** Sequence number given to each input record, in order. */
  readonly seqs: number[];
  /** The last checkpoint written, if any (audit.head and the witnesses get it once it is durable). */
  readonly checkpoint: AuditCheckpoint | undefined;
  /** The chain's end after `data` (size not yet known: the caller adds data.length). */
  readonly end: Omit<ChainState, "ino" | "size">;
}

export function compose(opts: ComposeOptions, s: ChainState, records: readonly AuditRecordInput[], forceCheckpoint: boolean, time: Date): Composed {
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
    const keys = opts.keys();
    checkpoint = { v: 2, type: "checkpoint", seq: seq + 1, time: iso, prev: hash, count: seq, head: hash, sig: signStatement(keys.privateKey, seq, hash, iso) };
    seq++;
    add(checkpoint);
    lastCheckpointSeq = seq;
    lastCheckpointAt = time.getTime();
  };
  const seqs: number[] = [];
  const macKey = records.length ? opts.keys().macKey : undefined;
  for (const r of records) {
    seq++;
    seqs.push(seq);
    const line = macedLine(macKey as Buffer, r, { v: 1, type: "record", seq, time: iso, prev: hash });
    lines.push(line);
    hash = sha256Hex(line);
    if (seq - lastCheckpointSeq >= opts.checkpointEvery) seal();
  }
  if (seq > lastCheckpointSeq && (forceCheckpoint || time.getTime() - lastCheckpointAt >= opts.checkpointMs)) seal();
  const data = lines.length ? Buffer.from(`${lines.join("\n")}\n`, "utf8") : Buffer.alloc(0);
  return { data, seqs, checkpoint, end: { seq, hash, lastCheckpointSeq, lastCheckpointAt } };
}
