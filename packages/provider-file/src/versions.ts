/** A secret's directory: its version files (one per revision) and the soft-delete marker. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { IntegrityError, type StoredSecret, type TenantId } from "@polyvault/core";
import { decodeHeader } from "./format.js";
import { readRegularFile } from "./safe-fs.js";

export const VERSION_FILE = /^v(\d{10})\.pv$/;
export const DELETED_MARKER = "deleted";
export const versionFile = (rev: number): string => `v${String(rev).padStart(10, "0")}.pv`;

/** Version numbers in a secret's directory, newest first, and whether it is soft-deleted (one readdir). */
export async function scan(dir: string): Promise<{ revs: number[]; deleted: boolean }> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { revs: [], deleted: false };
    throw err;
  }
  const revs = entries
    .map((e) => VERSION_FILE.exec(e)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  return { revs, deleted: entries.includes(DELETED_MARKER) };
}

/**
 * One version file, checked against the place it was found in: the tenant, the name and the version
 * number in its header must be those of its path, whatever its `managed` flag says.
 */
export async function readVersionFile(o: {
  dir: string;
  rev: number;
  withValue: boolean;
  expect: { tenant: TenantId; name: string };
  maxBytes: number;
  provider: string;
}): Promise<StoredSecret> {
  const { rev, expect } = o;
  const file = join(o.dir, versionFile(rev));
  const buf = await readRegularFile(file, o.maxBytes, o.provider);
  let decoded: ReturnType<typeof decodeHeader>;
  try {
    decoded = decodeHeader(buf, file);
  } catch (err) {
    buf.fill(0);
    throw err;
  }
  const { header, valueOffset } = decoded;
  if (header.tenant !== expect.tenant || header.name !== expect.name) {
    buf.fill(0);
    throw new IntegrityError(`file provider: ${file} holds ${header.tenant}/${header.name}, not ${expect.tenant}/${expect.name} (moved or copied?)`, {
      provider: o.provider,
    });
  }
  if (header.version !== undefined && header.version !== rev) {
    buf.fill(0);
    throw new IntegrityError(`file provider: ${file} holds version ${header.version} in the place of version ${rev} (moved or copied?)`, {
      provider: o.provider,
    });
  }
  const value = o.withValue ? Buffer.from(buf.subarray(valueOffset)) : Buffer.alloc(0);
  buf.fill(0);
  return {
    name: header.name,
    version: String(rev),
    updatedAt: new Date(header.createdAt),
    managed: header.managed,
    metadata: header.managed ? header.metadata : {},
    value,
  };
}
