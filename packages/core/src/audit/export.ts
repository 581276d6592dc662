/**
 * `audit export`: the records (not the checkpoints) of the log, oldest first, optionally only those at
 * or after `since` and those a filter keeps (the CLI keeps the tenants the caller may audit). Streams:
 * each record is handed to `emit` as it is read (and `emit` may wait for the output to drain), so a
 * large log never sits in memory.
 */
import { createReadStream, existsSync } from "node:fs";
import { InvalidInputError, IntegrityError } from "../errors.js";
import { createInterface } from "node:readline";
import { chainLogs } from "./segments.js";
import type { AuditRecord } from "./types.js";

export interface ExportOptions {
  readonly since?: Date | undefined;
  readonly filter?: ((record: AuditRecord) => boolean) | undefined;
}

/**
 * The chains of the directory (the main one and each segment's) are merged by time, oldest first; a
 * segment's records carry `segment` (their `seq` counts in that segment's chain).
 */
export async function exportRecords(dataDir: string, options: ExportOptions, emit: (record: AuditRecord) => void | Promise<void>): Promise<number> {
  const since = options.since?.getTime();
  const readers = chainLogs(dataDir)
    .filter((c) => existsSync(c.logPath))
    .map((c) => records(c.logPath, c.segment, since, options.filter));
  // Each chain is in time order: a k-way merge keeps the whole in time order, one record per chain in memory.
  const heads = await Promise.all(readers.map((r) => r.next()));
  let count = 0;
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i] as IteratorResult<TimedRecord>;
      if (h.done) continue;
      const best = pick < 0 ? undefined : (heads[pick] as IteratorYieldResult<TimedRecord>).value;
      if (!best || h.value.at < best.at) pick = i;
    }
    if (pick < 0) return count;
    await emit((heads[pick] as IteratorYieldResult<TimedRecord>).value.record);
    count++;
    heads[pick] = await (readers[pick] as AsyncGenerator<TimedRecord>).next();
  }
}

interface TimedRecord {
  readonly at: number;
  readonly record: AuditRecord;
}

async function* records(path: string, segment: string | undefined, since: number | undefined, filter: ExportOptions["filter"]): AsyncGenerator<TimedRecord> {
  let lineNo = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lineNo++;
    let e: AuditRecord;
    try {
      e = JSON.parse(line) as AuditRecord;
    } catch {
      throw new IntegrityError(`line ${lineNo} of ${path} is not valid JSON; run \`polyvault audit verify\``);
    }
    if (e.type !== "record") continue;
    const at = Date.parse(e.time);
    if (since !== undefined && !(at >= since)) continue;
    const record = segment === undefined ? e : { ...e, segment };
    if (filter && !filter(record)) continue;
    yield { at, record };
  }
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: an ISO 8601 date or date-time, or a duration back from now (`90m`, `24h`, `7d`, `2w`). */
export function parseSince(text: string, now = new Date()): Date {
  const rel = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (UNITS[rel[2] as string] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const d = new Date(text.trim());
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new InvalidInputError(
    `--since ${JSON.stringify(text)} is not a time: use an ISO 8601 date or date-time (2025-01-31, 2025-01-31T12:00:00Z) or a duration such as 90m, 24h, 7d, 2w`,
  );
}
