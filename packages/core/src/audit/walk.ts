/**
 * One pass over the log's lines, checking each entry (MAC, sequence number, link to the one before,
 * checkpoint signature) and stopping at the first that is wrong, after reading one more line so that
 * diagnose.ts can tell which of two neighbours is the bad one.
 */
import type { KeyObject } from "node:crypto";
import { recordMac, sha256Hex, tryCanonical, verifyStatement } from "./canonical.js";
import type { AuditKeys } from "./signing-key.js";
import { type HeadEntry, headSeq } from "./head.js";
import { GENESIS } from "./types.js";

export type Parsed = { seq?: unknown; prev?: unknown; type?: unknown; count?: unknown; head?: unknown; sig?: unknown } & Record<string, unknown>;
type Kind = "parse" | "gap" | "back" | "chain" | "checkpoint" | "anchor" | "shape" | "mac";

export interface Walk {
  readonly key: KeyObject | undefined;
  readonly macKey: Buffer | undefined;
  /** Without the private key (an export checked with the public key alone): records are covered by the chain and the signed checkpoint after them, not by their MACs. */
  skipMacs?: boolean;
  readonly headSeq: number | undefined;
  /** The entry number a witness vouches for (its checkpoint's `count`): its hash is kept in witnessSeen. */
  readonly witnessSeq: number | undefined;
  witnessSeen: string | undefined;
  expSeq: number;
  expPrev: string;
  lastLine: number;
  records: number;
  checkpoints: number;
  anchored: boolean;
  anchorCount: number;
  firstSeq: number;
  lastCheckpointSeq: number;
  firstUnsignedLine: number;
  headSeen: string | undefined;
  headLine: number | undefined;
  /** The last accepted entry. */
  prev: { line: number; seq: number; prev: string } | undefined;
  failure: { kind: Kind; line: number; entry: Parsed | undefined; problem: string } | undefined;
  /** The line after the failure (null: there is none, or it is not JSON). */
  next: Parsed | null;
}

export function newWalk(keys: AuditKeys | undefined, head: HeadEntry | undefined, witnessSeq?: number): Walk {
  return {
    key: keys?.publicKey,
    macKey: keys?.macKey,
    headSeq: head ? headSeq(head) : undefined,
    witnessSeq,
    witnessSeen: undefined,
    expSeq: 1,
    expPrev: GENESIS,
    lastLine: 0,
    records: 0,
    checkpoints: 0,
    anchored: false,
    anchorCount: 0,
    firstSeq: 1,
    lastCheckpointSeq: 0,
    firstUnsignedLine: 1,
    headSeen: undefined,
    headLine: undefined,
    prev: undefined,
    failure: undefined,
    next: null,
  };
}

function parse(text: string): Parsed | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Parsed) : undefined;
  } catch {
    return undefined;
  }
}

/** The members a checkpoint and an anchor have, exactly: the signature covers count, head and time; the chain the rest. */
const SIGNED_SHAPE: Record<string, readonly string[]> = {
  checkpoint: ["v", "type", "seq", "time", "prev", "count", "head", "sig"],
  anchor: ["v", "type", "time", "count", "head", "sig"],
};

function shapeProblem(e: Parsed): string | undefined {
  const allowed = SIGNED_SHAPE[e.type as string];
  if (!allowed) return undefined;
  const extra = Object.keys(e).find((k) => !allowed.includes(k));
  if (extra !== undefined) return `is not an audit entry: unexpected field ${JSON.stringify(extra)} in a ${e.type} (edited or inserted)`;
  if ((e.v !== 1 && e.v !== 2) || typeof e.time !== "string" || typeof e.sig !== "string") return `is a malformed ${e.type} (edited)`;
  return undefined;
}

const KEY_MISSING = "the audit signing key (keys/audit-signing.key) is missing, so checkpoints cannot be checked";

/** Consumes one line; false stops the walk. */
export function step(w: Walk, text: string, line: number): boolean {
  if (w.failure) {
    w.next = parse(text) ?? null;
    return false;
  }
  w.lastLine = line;
  const e = parse(text);
  const stop = (kind: Kind, problem: string) => {
    w.failure = { kind, line, entry: e, problem };
    return kind === "gap" || kind === "back" || kind === "chain"; // these need the next line to decide
  };
  if (!e) return stop("parse", "is not a JSON object (edited, or a write was cut short)");
  // Each line is exactly the canonical JSON of its entry: no CR, no blank, no reordering, nothing the hash would not see.
  if (tryCanonical(e) !== text) return stop("shape", "is not in canonical form (edited: a CRLF line end, added white space, or reordered members)");
  const badShape = shapeProblem(e);
  if (badShape) return stop("shape", badShape);
  if (e.type === "anchor") {
    if (line !== 1) return stop("anchor", "is an anchor, which only the first line may be (inserted)");
    if (!Number.isInteger(e.count) || typeof e.head !== "string") return stop("anchor", "is a malformed anchor");
    if (!w.key) return stop("anchor", KEY_MISSING);
    if (!verifyStatement(w.key, { ...e, count: e.count as number, head: e.head }))
      return stop("anchor", "is an anchor whose signature does not match (edited)");
    w.anchored = true;
    w.anchorCount = e.count as number;
    w.firstSeq = w.expSeq = w.anchorCount + 1;
    w.lastCheckpointSeq = w.anchorCount;
    w.expPrev = e.head;
    w.firstUnsignedLine = 2;
    if (w.anchorCount === w.witnessSeq) w.witnessSeen = e.head;
    return true;
  }
  if ((e.type !== "record" && e.type !== "checkpoint") || !Number.isInteger(e.seq) || typeof e.prev !== "string")
    return stop("shape", "is not an audit entry (edited or inserted)");
  const seq = e.seq as number;
  if (e.type === "record") {
    if (!w.macKey) {
      if (!w.skipMacs) return stop("mac", KEY_MISSING.replace("checkpoints", "records"));
    } else if (e.mac !== recordMac(w.macKey, e)) return stop("mac", "was altered, or written without the audit key: its MAC does not match");
  }
  if (seq > w.expSeq) return stop("gap", "");
  if (seq < w.expSeq) return stop("back", `holds record ${seq} again, after record ${w.expSeq - 1}: inserted, or moved`);
  if (e.prev !== w.expPrev) return stop("chain", "");
  if (e.type === "checkpoint") {
    if (e.count !== seq - 1 || e.head !== e.prev) return stop("checkpoint", "is a checkpoint whose count or head does not match its position (edited)");
    if (!w.key) return stop("checkpoint", KEY_MISSING);
    if (!verifyStatement(w.key, { ...e, count: e.count as number, head: e.head as string }))
      return stop("checkpoint", "is a checkpoint whose signature does not match (edited or forged)");
    w.checkpoints++;
    w.lastCheckpointSeq = seq;
    w.firstUnsignedLine = line + 1;
  } else {
    w.records++;
  }
  const hash = sha256Hex(text); // text is the canonical form (checked above)
  if (seq === w.headSeq) {
    w.headSeen = hash;
    w.headLine = line;
  }
  if (seq === w.witnessSeq) w.witnessSeen = hash;
  w.prev = { line, seq, prev: e.prev };
  w.expSeq = seq + 1;
  w.expPrev = hash;
  return true;
}
