/**
 * The store's layout on disk and its reads: one directory per tenant (`<root>/<tenant>/s/…`), one per
 * secret, one file per version (`v0000000001.pv`), a `deleted` marker for a soft delete. No symbolic link
 * below the root is followed and only regular files are read (safe-fs.ts).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, IntegrityError, NotFoundError, type SecretHead, type StoredSecret, type TenantId, keepBounded } from "@polyvault/core";
import { decodeHeader } from "./format.js";
import { decodeName, encodeName, fileNameFits } from "./names.js";
import { createReadCache, markOf } from "./read-cache.js";
import { assertNoLinks, readRegularFile } from "./safe-fs.js";

/** Secret paths kept by secretPath (about 100 bytes each). */
const PATH_CACHE = 10_000;

/** Room for a version file's header beyond the largest value. */
const HEADER_ROOM = 1024 * 1024;

const VERSION_FILE = /^v(\d{10})\.pv$/;
export const DELETED_MARKER = "deleted";
export const versionFile = (rev: number) => `v${String(rev).padStart(10, "0")}.pv`;

export const headOf = ({ value: _value, ...head }: StoredSecret): SecretHead => head;

export type Layout = ReturnType<typeof createLayout>;

export function createLayout(root: string, providerName: string, maxValueBytes: number, readCache = true) {
  const cache = readCache ? createReadCache() : undefined;
  const tenantDir = (t: TenantId) => join(root, t);
  const secretsRoot = (t: TenantId) => join(tenantDir(t), "s");
  /** A directory of the store, checked to hold no symbolic link between the root and itself. */
  const checked = async (dir: string): Promise<string> => {
    await assertNoLinks(root, dir, providerName);
    return dir;
  };

  /**
   * Paths of the secrets used lately, by tenant and name: a hot secret's path is not validated, encoded
   * and joined again on every read (a tenth of a failover read's allocations, docs/benchmarks.md). Only
   * names that passed validation are kept; bounded, oldest out first.
   */
  const paths = new Map<string, string>();

  /** Where a secret's versions live (names validated first); not checked for links (see secretDir). */
  function secretPath(tenant: TenantId, name: string): string {
    const key = `${tenant}\u0000${name}`;
    const known = paths.get(key);
    if (known !== undefined) return known;
    const fit = fileNameFits(tenant, name);
    if (!fit.ok) throw new InvalidInputError(`file provider cannot hold secret name ${JSON.stringify(name)}: ${fit.reason}`);
    const path = join(secretsRoot(tenant), ...encodeName(name));
    keepBounded(paths, key, path, PATH_CACHE);
    return path;
  }

  /** The secret's directory, with no link on the way to it. */
  const secretDir = (tenant: TenantId, name: string): Promise<string> => checked(secretPath(tenant, name));

  /** Version numbers in a secret's directory, newest first, and whether it is soft-deleted (one readdir). */
  async function scan(dir: string): Promise<{ revs: number[]; deleted: boolean }> {
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

  const revisions = async (dir: string): Promise<number[]> => (await scan(dir)).revs;
  const isDeleted = async (dir: string): Promise<boolean> => (await scan(dir)).deleted;

  /** Live revisions (empty when absent or soft-deleted). */
  async function live(dir: string): Promise<number[]> {
    const { revs, deleted } = await scan(dir);
    return deleted ? [] : revs;
  }

  /**
   * One version file, checked against the place it was found in: the tenant, the name and the version
   * number in its header must be those of its path, whatever its `managed` flag says.
   */
  async function readVersion(dir: string, rev: number, withValue: boolean, expect: { tenant: TenantId; name: string }): Promise<StoredSecret> {
    const file = join(dir, versionFile(rev));
    const buf = await readRegularFile(file, maxValueBytes + HEADER_ROOM, providerName);
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
        provider: providerName,
      });
    }
    if (header.version !== undefined && header.version !== rev) {
      buf.fill(0);
      throw new IntegrityError(`file provider: ${file} holds version ${header.version} in the place of version ${rev} (moved or copied?)`, {
        provider: providerName,
      });
    }
    const value = withValue ? Buffer.from(buf.subarray(valueOffset)) : Buffer.alloc(0);
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

  /** The newest version: from the read cache while its directory and file are unchanged (read-cache.ts), else from the disk. */
  async function current(tenant: TenantId, name: string, withValue: boolean): Promise<StoredSecret> {
    const path = secretPath(tenant, name);
    const hit = cache?.get(path, withValue);
    if (hit) return hit;
    const dir = await checked(path);
    // The marks are taken before what they vouch for is read: a write in between makes them stale.
    const dirMark = cache && markOf(dir);
    const [rev] = await live(dir);
    if (rev === undefined) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: providerName });
    if (!cache) return readVersion(dir, rev, withValue, { tenant, name });
    const file = join(dir, versionFile(rev));
    const fileMark = markOf(file);
    const record = await readVersion(dir, rev, true, { tenant, name });
    cache.keep(path, dirMark, file, fileMark, record);
    if (!withValue) {
      record.value.fill(0);
      return { ...record, value: Buffer.alloc(0) };
    }
    return record;
  }

  /** This process changed the secret whose directory is `dir`: its cached version goes. */
  const forget = (dir: string) => cache?.forget(dir);

  /** Every secret name of a tenant (decoded), sorted. */
  async function allNames(tenant: TenantId): Promise<string[]> {
    const names: string[] = [];
    const walk = async (dir: string, parts: string[]): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name.endsWith("+")) await walk(join(dir, e.name), [...parts, e.name]);
        else names.push(decodeName([...parts, e.name]));
      }
    };
    await walk(await checked(secretsRoot(tenant)), []);
    return names.sort();
  }

  return { root, tenantDir, checked, secretPath, secretDir, revisions, isDeleted, live, readVersion, current, forget, allNames };
}
