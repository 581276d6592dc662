/**
 * One run of the scheduled audit export (docs/audit.md, "Scheduled export"): seal the log with a checkpoint,
 * write the entries since the last export to a new file that verifies on its own (export-segment.ts), make
 * it durable, then move the cursor. No gaps: each file starts at the checkpoint the last one ended with, and
 * the log must still hold it. No duplicates: the cursor moves only after the file is durable, and a file a
 * killed run left past the cursor is adopted (it verifies and continues the cursor) or moved aside (it does
 * not), never written twice. One run at a time per directory (a lock in it).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { IntegrityError } from "../errors.js";
import type { AuditLog } from "./audit-log.js";
import { EXPORT_LOCK, type ExportCursor, TMP_PREFIX, exportFileName, fileBounds, listExports, readCursor, writeCursor } from "./export-cursor.js";
import { type ExportFormat, writeSegment } from "./export-segment.js";
import { verifyExportFile } from "./export-verify.js";
import { fsyncDirSync } from "./file-io.js";
import { withLock } from "./lock.js";
import { listSegments } from "./segments.js";
import { type AuditKeys, loadSigningKey } from "./signing-key.js";

export interface IncrementalExportOptions {
  readonly dir: string;
  readonly format?: ExportFormat | undefined;
  readonly now?: (() => Date) | undefined;
}

export interface IncrementalExportResult {
  /** The file this run wrote (undefined: nothing new was signed since the last export). */
  readonly file: { readonly name: string; readonly first: number; readonly last: number; readonly records: number } | undefined;
  /** A file a killed run had written but not recorded in the cursor: it verified and continued it, so it stands. */
  readonly adopted: string | undefined;
  /** Files past the cursor that did not verify or did not continue it, renamed `<name>.rejected-<time>`. */
  readonly rejected: readonly string[];
  /** Where the exports now end (the cursor). */
  readonly cursor: number;
  /** The same for each worker's segment, exported to `<dir>/segments/<name>/` (absent when there is none). */
  readonly segments?: readonly SegmentExportResult[] | undefined;
}

export type SegmentExportResult = { readonly segment: string } & Omit<IncrementalExportResult, "segments">;

/** Where under the export directory each segment's files and cursor go. */
export const SEGMENT_EXPORTS = "segments";

/** Files past the cursor: the first that verifies and continues it is adopted, the others are moved aside. */
function recover(dir: string, cursor: ExportCursor | undefined, keys: AuditKeys, stamp: string) {
  let adopted: string | undefined;
  const rejected: string[] = [];
  let current = cursor;
  const past = listExports(dir).filter((f) => f.last > (current?.seq ?? 0));
  // Without a cursor (lost, or never written), the newest file that verifies is where the exports end.
  const order = current ? past : [...past].reverse();
  for (const f of order) {
    if (current && f.last <= current.seq) continue;
    const path = join(dir, f.name);
    const ok = verifyExportFile(path, { publicKey: keys.publicKey, macKey: keys.macKey }).ok;
    const b = ok ? fileBounds(path) : undefined;
    const continues = b !== undefined && (current ? f.first === current.seq + 1 && b.first === current.line : true);
    if (b && continues && b.trailer.first === f.first && b.trailer.last === f.last) {
      current = { seq: f.last, line: b.closing, file: f.name };
      adopted = f.name;
      continue;
    }
    renameSync(path, `${path}.rejected-${stamp}`);
    rejected.push(f.name);
  }
  return { cursor: current, adopted, rejected };
}

/**
 * The main chain into `dir`, then each worker's segment (segments.ts) into `dir/segments/<name>/`, each
 * with its own cursor and files (a segment's files verify on their own as the main chain's do).
 */
export async function exportIncremental(log: AuditLog, options: IncrementalExportOptions): Promise<IncrementalExportResult> {
  const main = await exportChain(log, options);
  const segments: SegmentExportResult[] = [];
  for (const segment of listSegments(log.dataDir)) {
    const sibling = log.sibling(segment);
    try {
      segments.push({ segment, ...(await exportChain(sibling, { ...options, dir: join(options.dir, SEGMENT_EXPORTS, segment) })) });
    } finally {
      await sibling.close();
    }
  }
  return segments.length ? { ...main, segments } : main;
}

async function exportChain(log: AuditLog, options: IncrementalExportOptions): Promise<IncrementalExportResult> {
  const { dir } = options;
  const format = options.format ?? "ndjson";
  const now = options.now ?? (() => new Date());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(dir, join(dir, EXPORT_LOCK), async () => {
    for (const name of readdirSync(dir)) if (name.startsWith(TMP_PREFIX) && name.endsWith(".tmp")) unlinkSync(join(dir, name)); // a killed run's
    await log.checkpoint(); // seals everything so far, this run's own "started" record included
    const keys = loadSigningKey(log.dataDir);
    if (!keys) throw new IntegrityError(`the audit signing key of ${log.dataDir} is missing: nothing can be exported or signed`);
    const stamp = now().toISOString().replace(/[:.]/g, "-");
    const found = recover(dir, readCursor(dir), keys, stamp);
    if (found.adopted && found.cursor) await writeCursor(dir, found.cursor);
    const upTo = statSync(log.logPath).size;
    const tmp = join(dir, `${TMP_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    let written: Awaited<ReturnType<typeof writeSegment>>;
    try {
      written = await writeSegment({ logPath: log.logPath, upTo, start: found.cursor, keys, out: tmp, format, now: now() });
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      throw err;
    }
    const base = { adopted: found.adopted, rejected: found.rejected };
    if (!written) {
      unlinkSync(tmp);
      return { ...base, file: undefined, cursor: found.cursor?.seq ?? 0 };
    }
    const { trailer, closingLine, closingOffset } = written;
    const name = exportFileName(trailer.first, trailer.last, format);
    await rename(tmp, join(dir, name));
    fsyncDirSync(dir); // the file is durable under its name before the cursor points past it
    await writeCursor(dir, { seq: trailer.last, line: closingLine, file: name, offset: closingOffset });
    return { ...base, file: { name, first: trailer.first, last: trailer.last, records: trailer.records }, cursor: trailer.last };
  });
}
