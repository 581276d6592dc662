/**
 * The incremental export file (docs/audit.md, "Scheduled export"): a segment of the log that verifies on
 * its own. Its lines are the log's own lines, byte for byte: first where the segment starts (the signed
 * checkpoint that ended the previous export, the log's anchor, or record 1), then every entry after it up to
 * and including a signed checkpoint; last, a trailer signed with the audit key over the segment's bounds
 * (first and last entry, the hashes at either end, the number of records), so that a file cut back to an
 * earlier checkpoint, or cut at its start, no longer matches its trailer. The entries are checked by the
 * same walk as `audit verify` (walk.ts), started at the segment's first line instead of the log's.
 */
import { type KeyObject, sign, verify } from "node:crypto";
import { canonical } from "./canonical.js";
import { type Walk, newWalk, step } from "./walk.js";
import { GENESIS } from "./types.js";

export const EXPORT_FORMAT = "polyvault-audit-export/v1";

/** The last line of an export file. */
export interface ExportTrailer {
  readonly type: "export";
  readonly v: 1;
  /** The audit public key, SPKI DER in base64 (publicKeyId). */
  readonly publicKey: string;
  /** Sequence number of the first entry after the segment's start line (1 from the log's first record). */
  readonly first: number;
  /** Sequence number of the closing checkpoint. */
  readonly last: number;
  /** The hash the first entry after the start links to (`prev`): the start line's hash, an anchor's head, or 0…0. */
  readonly base: string;
  /** The hash of the closing checkpoint: what the next export's first entry links to. */
  readonly head: string;
  readonly records: number;
  readonly time: string;
  readonly sig: string;
}

export const TRAILER_MEMBERS = ["v", "type", "publicKey", "first", "last", "base", "head", "records", "time", "sig"] as const;

function statement(t: Omit<ExportTrailer, "sig" | "type" | "v">): Buffer {
  const { publicKey, first, last, base, head, records, time } = t;
  return Buffer.from(canonical({ purpose: EXPORT_FORMAT, publicKey, first, last, base, head, records, time }), "utf8");
}

export function signTrailer(key: KeyObject, t: Omit<ExportTrailer, "sig" | "type" | "v">): ExportTrailer {
  return { type: "export", v: 1, ...t, sig: sign(null, statement(t), key).toString("base64") };
}

export function trailerSignatureValid(key: KeyObject, t: ExportTrailer): boolean {
  if (typeof t.sig !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(t.sig)) return false;
  try {
    return verify(null, statement(t), key, Buffer.from(t.sig, "base64"));
  } catch {
    return false;
  }
}

/** What a walk over a segment found so far: where it starts, and its last signed checkpoint. */
export interface Segment {
  readonly walk: Walk;
  /** The entry the segment continues from: the start line's hash, an anchor's head, or GENESIS. */
  base: string;
  /** The first entry after the start line. */
  first: number;
  closing: { readonly seq: number; readonly hash: string; readonly records: number; readonly line: number } | undefined;
  /** Line 1 is the checkpoint the previous export ended with (not counted as this segment's). */
  startsAtCheckpoint: boolean;
  /** Line 1 was not a checkpoint, an anchor or record 1: the segment has no verifiable start. */
  badStart: string | undefined;
}

export function newSegment(keys: { publicKey: KeyObject; macKey?: Buffer | undefined }): Segment {
  const walk = newWalk({ publicKey: keys.publicKey, macKey: keys.macKey } as Parameters<typeof newWalk>[0], undefined);
  walk.skipMacs = keys.macKey === undefined;
  return { walk, base: GENESIS, first: 1, closing: undefined, startsAtCheckpoint: false, badStart: undefined };
}

/** Consumes one line of the segment; false stops (a failure is in walk.failure, or badStart). */
export function feedSegment(s: Segment, text: string, line: number): boolean {
  const w = s.walk;
  if (line === 1 && !w.failure) {
    let e: { type?: unknown; seq?: unknown; prev?: unknown } | undefined;
    try {
      e = JSON.parse(text) as typeof e;
    } catch {
      e = undefined;
    }
    if (e?.type === "checkpoint" && Number.isInteger(e.seq) && typeof e.prev === "string") {
      // Continues a previous export: its signature (checked by step) vouches for the entry count and hash it starts from.
      w.expSeq = e.seq as number;
      w.expPrev = e.prev;
    } else if (e?.type === "record" && Number.isInteger(e.seq) && e.seq !== 1) {
      s.badStart = `line 1 (record ${e.seq}) does not start the export: an export starts at a signed checkpoint, the log's anchor or record 1 (the export was cut at its start)`;
      return false;
    }
  }
  const checkpointsBefore = w.lastCheckpointSeq;
  const ok = step(w, text, line);
  if (!ok || w.failure) return ok;
  if (line === 1 && (w.anchored || w.checkpoints === 1)) {
    s.base = w.expPrev;
    s.first = w.expSeq;
    s.startsAtCheckpoint = !w.anchored;
    return true;
  }
  if (w.lastCheckpointSeq !== checkpointsBefore) s.closing = { seq: w.lastCheckpointSeq, hash: w.expPrev, records: w.records, line };
  return true;
}
