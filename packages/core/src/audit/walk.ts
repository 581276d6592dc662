/**
 * One pass over the log's lines, stopping at the first inconsistency, plus one line of lookahead to
 * tell which of two neighbours is the bad one (an edited record breaks the link to the *next* record;
 * an inserted record forks the chain). `diagnose` turns the stop into the first bad record's line,
 * sequence number and a sentence a person can act on.
 */
import type { KeyObject } from "node:crypto";
import { hashEntry, recordMac, verifyStatement } from "./canonical.js";
import type { AuditKeys } from "./signing-key.js";
import { type HeadEntry, headSeq } from "./head.js";
import { GENESIS } from "./types.js";

type Parsed = { seq?: unknown; prev?: unknown; type?: unknown; count?: unknown; head?: unknown; sig?: unknown } & Record<string, unknown>;
type Kind = "parse" | "gap" | "back" | "chain" | "checkpoint" | "anchor" | "shape" | "mac";

export interface Walk {
  readonly key: KeyObject | undefined;
  readonly macKey: Buffer | undefined;
  readonly headSeq: number | undefined;
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

export function newWalk(keys: AuditKeys | undefined, head: HeadEntry | undefined): Walk {
  return { key: keys?.publicKey, macKey: keys?.macKey, headSeq: head ? headSeq(head) : undefined, expSeq: 1, expPrev: GENESIS, lastLine: 0, records: 0, checkpoints: 0, anchored: false, anchorCount: 0, firstSeq: 1, lastCheckpointSeq: 0, firstUnsignedLine: 1, headSeen: undefined, headLine: undefined, prev: undefined, failure: undefined, next: null };
}

function parse(text: string): Parsed | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Parsed) : undefined;
  } catch {
    return undefined;
  }
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
  if (e.type === "anchor") {
    if (line !== 1) return stop("anchor", "is an anchor, which only the first line may be (inserted)");
    if (!Number.isInteger(e.count) || typeof e.head !== "string") return stop("anchor", "is a malformed anchor");
    if (!w.key) return stop("anchor", KEY_MISSING);
    if (!verifyStatement(w.key, e.count as number, e.head, e.sig)) return stop("anchor", "is an anchor whose signature does not match (edited)");
    w.anchored = true;
    w.anchorCount = e.count as number;
    w.firstSeq = w.expSeq = w.anchorCount + 1;
    w.lastCheckpointSeq = w.anchorCount;
    w.expPrev = e.head;
    w.firstUnsignedLine = 2;
    return true;
  }
  if ((e.type !== "record" && e.type !== "checkpoint") || !Number.isInteger(e.seq) || typeof e.prev !== "string") return stop("shape", "is not an audit entry (edited or inserted)");
  const seq = e.seq as number;
  if (e.type === "record") {
    if (!w.macKey) return stop("mac", KEY_MISSING.replace("checkpoints", "records"));
    if (e.mac !== recordMac(w.macKey, e)) return stop("mac", "was altered, or written without the audit key: its MAC does not match");
  }
  if (seq > w.expSeq) return stop("gap", "");
  if (seq < w.expSeq) return stop("back", `holds record ${seq} again, after record ${w.expSeq - 1}: inserted, or moved`);
  if (e.prev !== w.expPrev) return stop("chain", "");
  if (e.type === "checkpoint") {
    if (e.count !== seq - 1 || e.head !== e.prev) return stop("checkpoint", "is a checkpoint whose count or head does not match its position (edited)");
    if (!w.key) return stop("checkpoint", KEY_MISSING);
    if (!verifyStatement(w.key, e.count as number, e.head as string, e.sig)) return stop("checkpoint", "is a checkpoint whose signature does not match (edited or forged)");
    w.checkpoints++;
    w.lastCheckpointSeq = seq;
    w.firstUnsignedLine = line + 1;
  } else {
    w.records++;
  }
  const hash = hashEntry(e);
  if (seq === w.headSeq) {
    w.headSeen = hash;
    w.headLine = line;
  }
  w.prev = { line, seq, prev: e.prev };
  w.expSeq = seq + 1;
  w.expPrev = hash;
  return true;
}

/** The first bad record: its line, its sequence number and what is wrong with it. */
export function diagnose(w: Walk): { line: number; seq: number | undefined; problem: string } {
  const f = w.failure;
  if (!f) throw new Error("diagnose() without a failure");
  const own = typeof f.entry?.seq === "number" ? f.entry.seq : undefined;
  const at = (line: number, seq: number | undefined, problem: string) => ({ line, seq, problem: `line ${line}${seq === undefined ? "" : ` (record ${seq})`} ${problem}` });
  const confirms = (e: Parsed | undefined) => e !== undefined && w.next !== null && w.next.prev === hashEntry(e);
  switch (f.kind) {
    case "gap":
      // The next line continuing the chain where this one should have: this line was inserted.
      if (w.next !== null && w.next.seq === w.expSeq && w.next.prev === w.expPrev) return at(f.line, w.expSeq, `holds record ${own}, ahead of its place: records reordered, or this one inserted (the next line continues the chain)`);
      return at(f.line, w.expSeq, `is missing (deleted, or records reordered): line ${f.line} holds record ${own} instead`);
    case "back": {
      if (f.entry && hashEntry(f.entry) === w.expPrev) return at(f.line, w.expSeq, "is a copy of the line before it (inserted)");
      // Two lines claim the same predecessor: the one the next line links to is genuine, the other inserted.
      const fork = own === w.expSeq - 1 && f.entry?.prev === w.prev?.prev;
      if (fork && w.prev && confirms(f.entry)) return at(w.prev.line, w.prev.seq, `is an inserted record: line ${f.line} carries the same place in the chain and the records after it link to that one`);
      return at(f.line, w.expSeq, fork ? "is an inserted record: it forks the chain at its predecessor" : f.problem);
    }
    case "chain": {
      // The link from this entry to the one before is broken: either that one was altered, or this one was.
      const intact = confirms(f.entry) || (w.next === null && f.entry?.type === "checkpoint" && w.key !== undefined && verifyStatement(w.key, f.entry.count as number, f.entry.prev as string, f.entry.sig));
      if ((intact || w.next === null) && w.prev) return at(w.prev.line, w.prev.seq, `was altered: its hash no longer matches the one record ${own} (line ${f.line}) carries`);
      return at(f.line, own, "was altered: the hash it carries does not match the record before it");
    }
    default:
      return at(f.line, f.kind === "parse" || f.kind === "shape" || f.kind === "mac" ? w.expSeq : own, f.problem);
  }
}
