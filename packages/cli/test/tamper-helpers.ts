/** Edits of the file store as an attacker with write access to the data directory (no key) makes them. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file of revision `rev` of a secret whose name has no '/' (the store's default layout). */
export const versionPath = (home: string, tenant: string, name: string, rev: number): string =>
  join(home, "store", tenant, "s", name, `v${String(rev).padStart(10, "0")}.pv`);

export interface RawVersion {
  header: Record<string, unknown>;
  value: Buffer;
}

/** Splits a version file ("PVF1", u32 header length, JSON header, value). */
export function readVersion(file: string): RawVersion {
  const buf = readFileSync(file);
  const len = buf.readUInt32BE(4);
  return { header: JSON.parse(buf.subarray(8, 8 + len).toString("utf8")) as Record<string, unknown>, value: Buffer.from(buf.subarray(8 + len)) };
}

export function writeVersion(file: string, v: RawVersion): void {
  const json = Buffer.from(JSON.stringify(v.header), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length, 0);
  writeFileSync(file, Buffer.concat([Buffer.from("PVF1"), len, json, v.value]));
}

/** Rewrites a version file's header (and optionally its value) in place. */
export function tamper(file: string, edit: (v: RawVersion) => RawVersion | undefined): void {
  const v = readVersion(file);
  writeVersion(file, edit(v) ?? v);
}
