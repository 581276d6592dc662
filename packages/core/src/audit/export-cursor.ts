/**
 * The export directory's state: the cursor (where the last export ended: its closing checkpoint, exactly as
 * in the log) and the export files, named by the entries they hold (`audit-<first>-<last>.ndjson`, numbers
 * zero-padded so that names sort in chain order). The cursor is replaced atomically, and only after the
 * export file it points past is durable; an export file past the cursor is what a run killed between the
 * two left behind (export-incremental.ts adopts it, or moves it aside when it does not verify).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { IntegrityError } from "../errors.js";
import { canonical } from "./canonical.js";
import { type ExportTrailer, EXPORT_FORMAT } from "./export-file.js";
import type { ExportFormat, SegmentStart } from "./export-segment.js";
import { writeFileAtomic } from "./file-io.js";

export const CURSOR_FILE = "audit-export.cursor";
export const EXPORT_LOCK = ".audit-export.lock";
export const TMP_PREFIX = ".audit-export-";

export interface ExportCursor extends SegmentStart {
  /** The export file that ends at `seq`. */
  readonly file: string;
}

export interface ExportFileName {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

const NAME = /^audit-(\d{12})-(\d{12})\.(ndjson|json)$/;

export function exportFileName(first: number, last: number, format: ExportFormat): string {
  return `audit-${String(first).padStart(12, "0")}-${String(last).padStart(12, "0")}.${format}`;
}

/** The export files in `dir`, in chain order. */
export function listExports(dir: string): ExportFileName[] {
  const out: ExportFileName[] = [];
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (m) out.push({ name, first: Number(m[1]), last: Number(m[2]) });
  }
  return out.sort((a, b) => a.first - b.first || a.last - b.last);
}

export function readCursor(dir: string): ExportCursor | undefined {
  const path = join(dir, CURSOR_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let c: Partial<ExportCursor> & { format?: unknown };
  try {
    c = JSON.parse(text) as typeof c;
  } catch {
    c = {};
  }
  const ok = c.format === `${EXPORT_FORMAT}-cursor` && Number.isInteger(c.seq) && typeof c.line === "string" && typeof c.file === "string";
  if (!ok) throw new IntegrityError(`${path} is not an audit export cursor (edited?); move it aside to restart from the newest export file in ${dir}`);
  const offset = Number.isInteger(c.offset) ? (c.offset as number) : undefined;
  return { seq: c.seq as number, line: c.line as string, file: c.file as string, offset };
}

export function writeCursor(dir: string, cursor: ExportCursor): Promise<void> {
  return writeFileAtomic(join(dir, CURSOR_FILE), `${canonical({ format: `${EXPORT_FORMAT}-cursor`, ...cursor })}\n`);
}

/** An export file's start line, closing checkpoint line and trailer (for adopting a file past the cursor). */
export function fileBounds(path: string): { first: string; closing: string; trailer: ExportTrailer } {
  const text = readFileSync(path, "utf8");
  const lines = text.startsWith("[") ? (JSON.parse(text) as object[]).map((e) => canonical(e)) : text.split("\n").slice(0, -1);
  return { first: lines[0] ?? "", closing: lines[lines.length - 2] ?? "", trailer: JSON.parse(lines[lines.length - 1] ?? "null") as ExportTrailer };
}
