/**
 * <dataDir>/audit.head: a copy of the newest checkpoint (or of the anchor after pruning), replaced
 * atomically after every checkpoint. The log alone cannot show that its end was cut off; the head can:
 * a log that no longer contains the entry the head holds was truncated (docs/audit.md, "Threat model").
 */
import { IntegrityError } from "../errors.js";
import { canonical } from "./canonical.js";
import { readJsonFileSync, writeFileAtomic, writeFileAtomicSync } from "./file-io.js";
import type { AuditAnchor, AuditCheckpoint } from "./types.js";

export type HeadEntry = AuditCheckpoint | AuditAnchor;

export function isHeadEntry(v: unknown): v is HeadEntry {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  const common = Number.isInteger(e.count) && typeof e.head === "string" && typeof e.sig === "string" && typeof e.time === "string";
  return common && (e.type === "anchor" || (e.type === "checkpoint" && Number.isInteger(e.seq)));
}

/** The head entry, or undefined when there is none yet. A head that is not a valid entry is an IntegrityError. */
export function readHead(path: string): HeadEntry | undefined {
  const file = readJsonFileSync(path);
  if (!file) return undefined;
  if (!isHeadEntry(file.value)) throw new IntegrityError(`${path} is not a valid audit checkpoint`);
  return file.value;
}

export function writeHead(path: string, entry: HeadEntry): void {
  writeFileAtomicSync(path, `${canonical(entry)}\n`);
}

export function writeHeadAsync(path: string, entry: HeadEntry): Promise<void> {
  return writeFileAtomic(path, `${canonical(entry)}\n`);
}

/** The sequence number of the last entry the head vouches for (a checkpoint's own, or an anchor's count). */
export function headSeq(entry: HeadEntry): number {
  return entry.type === "checkpoint" ? entry.seq : entry.count;
}
