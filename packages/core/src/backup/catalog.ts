/**
 * The directory of scheduled backups (`backups.dir`): one folder per tenant, one bundle per run, named
 * after the bundle's creation time so that names sort oldest first:
 *
 *   <dir>/<tenant>/2026-12-05T10-48-12.345Z.pvbackup
 *
 * Only files of exactly that form are listed or pruned; anything else in the directory is left alone.
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { TENANT_ID_PATTERN } from "../names.js";

export const BUNDLE_EXTENSION = ".pvbackup";
const NAME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}\.\d{3})Z\.pvbackup$/;

export interface CatalogEntry {
  readonly tenant: string;
  readonly file: string;
  /** When the bundle was made (from its name; the signed header says the same). */
  readonly createdAt: Date;
  readonly bytes: number;
}

/** Where the bundle of `tenant` made at `createdAt` (ISO 8601 with milliseconds) goes. */
export function bundlePath(dir: string, tenant: string, createdAt: string): string {
  return join(dir, tenant, `${createdAt.replaceAll(":", "-")}${BUNDLE_EXTENSION}`);
}

/** Creates `dir/<tenant>` (mode 0700), or says plainly why it cannot. */
export async function prepareBackupDir(dir: string, tenant: string): Promise<void> {
  try {
    await mkdir(join(dir, tenant), { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    if (code === "EEXIST" || code === "ENOTDIR") throw new InvalidInputError(`backups.dir: ${dir} is not a directory (or holds a file named ${tenant})`);
    throw new InvalidInputError(`backups.dir: cannot create ${join(dir, tenant)} (${code})`);
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`backup directory ${dir} does not exist (no scheduled backup has run yet?)`);
    if (code === "ENOTDIR") throw new InvalidInputError(`backup directory ${dir} is not a directory`);
    throw new InvalidInputError(`cannot read backup directory ${dir} (${code ?? "error"})`);
  }
}

/** Every bundle in the directory (or of one tenant), newest first within each tenant, tenants sorted. */
export async function listBundles(dir: string, tenant?: string): Promise<CatalogEntry[]> {
  const tenants = tenant === undefined ? (await entries(dir)).filter((t) => TENANT_ID_PATTERN.test(t)).sort() : [tenant];
  const out: CatalogEntry[] = [];
  for (const t of tenants) {
    let names: string[];
    try {
      names = await entries(join(dir, t));
    } catch (err) {
      if (err instanceof NotFoundError && tenant !== undefined) continue; // no bundle of this tenant yet
      if (err instanceof InvalidInputError && tenant === undefined) continue; // a file named like a tenant
      throw err;
    }
    const mine: CatalogEntry[] = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m) continue;
      const createdAt = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
      if (Number.isNaN(createdAt.getTime())) continue;
      const file = join(dir, t, name);
      const st = await stat(file).catch(() => undefined);
      if (st?.isFile()) mine.push({ tenant: t, file, createdAt, bytes: st.size });
    }
    out.push(...mine.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()));
  }
  return out;
}

/** Deletes the tenant's bundles beyond the newest `keep`; returns the files removed. */
export async function pruneBundles(dir: string, tenant: string, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new InvalidInputError(`backups.keep must be a whole number of at least 1 (got ${JSON.stringify(keep)})`);
  const old = (await listBundles(dir, tenant)).slice(keep);
  for (const e of old) await rm(e.file, { force: true });
  return old.map((e) => e.file);
}
