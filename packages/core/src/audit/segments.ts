/**
 * Segments (docs/audit.md, "Workers"): `polyvault serve --workers N` gives each worker a chain of its own,
 * `<dataDir>/audit-segments/w<n>/` (audit.log, audit.head, audit.lock, the layout of the main chain), signed
 * with the data directory's one audit key. A worker appends to its segment alone, so no request waits for
 * another process. What keeps the segments one log:
 * - the main chain names every segment: when a worker opens its segment it writes an `audit.segment.open`
 *   record there and seals it, and each checkpoint of a segment is stated in the main chain as an
 *   `audit.segment` record (`segment=w1 count=… head=…`);
 * - `audit verify` checks every chain, and each segment against the latest such statement (as against a
 *   witness: a segment deleted, cut back below it or rewritten fails, exit 6);
 * - the readers (export, the status page, compliance) merge the chains by time.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import { forEachLine } from "./file-io.js";
import type { AuditCheckpoint } from "./types.js";
import { AUDIT_FILES } from "./types.js";

export const SEGMENTS_DIR = "audit-segments";
/** The action of the main chain's statement of a segment's checkpoint. */
export const SEGMENT_ANCHOR_ACTION = "audit.segment";
/** The first record a worker writes in its segment each time it opens it. */
export const SEGMENT_OPEN_ACTION = "audit.segment.open";

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function checkSegmentName(name: string): string {
  if (!NAME.test(name))
    throw new InvalidInputError(`audit segment name ${JSON.stringify(name)} must be 1–32 of a-z, 0-9 and -, starting with a letter or digit`);
  return name;
}

export function segmentDir(dataDir: string, name: string): string {
  return join(dataDir, SEGMENTS_DIR, checkSegmentName(name));
}

export function segmentChainFiles(dataDir: string, name: string) {
  const dir = segmentDir(dataDir, name);
  const rel = `${SEGMENTS_DIR}/${name}`;
  return {
    logPath: join(dir, AUDIT_FILES.log),
    headPath: join(dir, AUDIT_FILES.head),
    logName: `${rel}/${AUDIT_FILES.log}`,
    headName: `${rel}/${AUDIT_FILES.head}`,
  };
}

/** The segments present in the data directory (sorted; names that are not segment names are not ours). */
export function listSegments(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, SEGMENTS_DIR), { withFileTypes: true })
      .filter((d) => d.isDirectory() && NAME.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Every chain's log of the directory: the main one first, then each segment's (`segment` set). */
export function chainLogs(dataDir: string): { readonly logPath: string; readonly segment?: string }[] {
  return [
    { logPath: join(dataDir, AUDIT_FILES.log) },
    ...listSegments(dataDir).map((segment) => ({ logPath: segmentChainFiles(dataDir, segment).logPath, segment })),
  ];
}

/** The time of the oldest entry over every chain (each chain's first line that has one: an anchor after pruning); undefined when none. */
export function oldestEntryTime(dataDir: string): Date | undefined {
  let oldest: Date | undefined;
  for (const { logPath } of chainLogs(dataDir)) {
    let first: Date | undefined;
    try {
      forEachLine(
        logPath,
        (line) => {
          if (!line.trim()) return true;
          const time = (JSON.parse(line) as { time?: string }).time;
          if (time) first = new Date(time);
          return time === undefined;
        },
        65_536,
      ); // the first entries only
    } catch {
      continue; // missing, unreadable or torn: verify reports it
    }
    if (first && (!oldest || first < oldest)) oldest = first;
  }
  return oldest;
}

export interface SegmentAnchor {
  readonly segment: string;
  /** The segment's entries its checkpoint vouches for, and the hash of the last of them. */
  readonly count: number;
  readonly head: string;
}

export function anchorDetail(a: SegmentAnchor): string {
  return `segment=${a.segment} count=${a.count} head=${a.head}`;
}

const DETAIL = /^segment=([a-z0-9][a-z0-9-]{0,31}) count=(\d{1,15}) head=([0-9a-f]{64})$/;

/** The statement an `audit.segment` record of the main chain makes (undefined: it is not one). */
export function anchorOf(entry: Record<string, unknown>): SegmentAnchor | undefined {
  if (entry.type !== "record" || entry.action !== SEGMENT_ANCHOR_ACTION || typeof entry.detail !== "string") return undefined;
  const m = DETAIL.exec(entry.detail);
  return m ? { segment: m[1] as string, count: Number(m[2]), head: m[3] as string } : undefined;
}

/** The statement in the shape verify compares a chain with (a witness's checkpoint: count and head). */
export function anchorCheckpoint(a: SegmentAnchor): AuditCheckpoint {
  return { v: 2, type: "checkpoint", seq: a.count + 1, time: "(stated in the main chain)", prev: a.head, count: a.count, head: a.head, sig: "" };
}
