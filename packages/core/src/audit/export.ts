/**
 * `audit export`: the records (not the checkpoints) of the log, oldest first, optionally only those at
 * or after `since` and those a filter keeps (the CLI keeps the tenants the caller may audit). Streams:
 * each record is handed to `emit` as it is read (and `emit` may wait for the output to drain), so a
 * large log never sits in memory.
 */
import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError, IntegrityError } from "../errors.js";
import { createInterface } from "node:readline";
import { AUDIT_FILES, type AuditRecord } from "./types.js";

export interface ExportOptions {
  readonly since?: Date | undefined;
  readonly filter?: ((record: AuditRecord) => boolean) | undefined;
}

export async function exportRecords(dataDir: string, options: ExportOptions, emit: (record: AuditRecord) => void | Promise<void>): Promise<number> {
  const path = join(dataDir, AUDIT_FILES.log);
  if (!existsSync(path)) return 0;
  const since = options.since?.getTime();
  let count = 0;
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
    if (since !== undefined && !(Date.parse(e.time) >= since)) continue;
    if (options.filter && !options.filter(e)) continue;
    await emit(e);
    count++;
  }
  return count;
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
