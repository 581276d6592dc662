/**
 * Where the chain ends, found from the file (its last line and audit.head) when the writer's cached state
 * is stale, and every reason not to extend it: a torn last line, a log shorter than its signed head
 * (truncated), shorter than what a witness holds (rolled back or erased), a key the witness does not know
 * (replaced), or no log at all where one existed (erased; only `audit new-chain` starts one there).
 */
import { IntegrityError } from "../errors.js";
import { hashEntry } from "./canonical.js";
import type { ChainState } from "./compose.js";
import type { Tail } from "./file-io.js";
import { type HeadEntry, headSeq } from "./head.js";
import { GENESIS } from "./types.js";
import type { WitnessState } from "./witness.js";

export interface ChainEndInput {
  readonly logPath: string;
  readonly tail: Tail;
  readonly head: HeadEntry | undefined;
  /** What the witnesses hold (the furthest of them), and which one that is. */
  readonly witnessed: { readonly state: WitnessState; readonly description: string } | undefined;
  /** The current key's public key id (publicKeyId); only called when a witness is configured. */
  readonly publicKeyId: () => string;
  /** Why the directory looks like it held a chain (evidence.ts), for an empty log. */
  readonly evidence: () => string | undefined;
  /** `audit new-chain` was run: an empty log may start over. */
  readonly newChainAllowed: boolean;
  readonly now: number;
}

export function chainEnd(i: ChainEndInput): ChainState & { readonly empty: boolean } {
  const { tail, head, logPath } = i;
  if (!tail.complete)
    throw new IntegrityError(`${logPath} ends with an incomplete line; run \`polyvault audit verify\` (appends are refused until it is resolved)`);
  let seq = 0;
  let hash = GENESIS;
  let last: Record<string, unknown> | undefined;
  if (tail.lastLine !== undefined) {
    try {
      last = JSON.parse(tail.lastLine) as Record<string, unknown>;
    } catch {
      throw new IntegrityError(`the last line of ${logPath} is not valid JSON; run \`polyvault audit verify\``);
    }
    seq = last.type === "anchor" ? Number(last.count) : Number(last.seq);
    hash = last.type === "anchor" ? String(last.head) : hashEntry(last);
    if (!Number.isInteger(seq)) throw new IntegrityError(`the last line of ${logPath} is not an audit entry; run \`polyvault audit verify\``);
  }
  // Never extend a log that lost entries the signed head vouches for: that would bury the truncation.
  if (head && headSeq(head) > seq)
    throw new IntegrityError(
      `${logPath} ends at record ${seq} but its last signed checkpoint is record ${headSeq(head)}: the log was truncated; appends are refused (see docs/audit.md)`,
    );
  const empty = tail.lastLine === undefined && !head;
  const w = i.witnessed;
  if (!(empty && i.newChainAllowed)) {
    if (w && seq < w.state.checkpoint.count)
      throw new IntegrityError(
        `${logPath} was rolled back: it ends at record ${seq} but the ${w.description} holds a signed checkpoint of ${w.state.checkpoint.count} entries; appends are refused (see docs/audit.md, "Witnesses")`,
      );
    if (w && i.publicKeyId() !== w.state.publicKey)
      throw new IntegrityError(`the audit signing key is not the one the ${w.description} knows: it was replaced; appends are refused`);
    const evidence = empty ? i.evidence() : undefined;
    if (evidence)
      throw new IntegrityError(
        `${logPath} is missing or empty, but ${evidence}: refusing to start a new audit chain over a directory that held one (erased?); after an investigation run \`polyvault audit new-chain --reason …\``,
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
    lastCheckpointAt: head ? Date.parse(head.time) : i.now,
    empty,
  };
}
