/**
 * The store's layout on disk and its reads: one directory per tenant (`<root>/<tenant>/s/…`), one per
 * secret, one file per version (`v0000000001.pv`), a `deleted` marker for a soft delete.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, IntegrityError, NotFoundError, type SecretHead, type StoredSecret, type TenantId } from "@polyvault/core";
import { decodeHeader } from "./format.js";
import { decodeName, encodeName, fileNameFits } from "./names.js";

const VERSION_FILE = /^v(\d{10})\.pv$/;
export const DELETED_MARKER = "deleted";
export const versionFile = (rev: number) => `v${String(rev).padStart(10, "0")}.pv`;

export const headOf = ({ value: _value, ...head }: StoredSecret): SecretHead => head;

export type Layout = ReturnType<typeof createLayout>;

export function createLayout(root: string, providerName: string) {
  const tenantDir = (t: TenantId) => join(root, t);
  const secretsRoot = (t: TenantId) => join(tenantDir(t), "s");

  function secretDir(tenant: TenantId, name: string): string {
    const fit = fileNameFits(tenant, name);
    if (!fit.ok) throw new InvalidInputError(`file provider cannot hold secret name ${JSON.stringify(name)}: ${fit.reason}`);
    return join(secretsRoot(tenant), ...encodeName(name));
  }

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

  async function readVersion(dir: string, rev: number, withValue: boolean, expect?: { tenant: TenantId; name: string }): Promise<StoredSecret> {
    const file = join(dir, versionFile(rev));
    const buf = await readFile(file);
    const { header, valueOffset } = decodeHeader(buf, file);
    if (expect && header.managed && (header.tenant !== expect.tenant || header.name !== expect.name)) {
      buf.fill(0);
      throw new IntegrityError(`file provider: ${file} holds ${header.tenant}/${header.name}, not ${expect.tenant}/${expect.name} (moved or copied?)`, {
        provider: providerName,
      });
    }
    if (header.managed && header.version !== rev) {
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

  async function current(tenant: TenantId, name: string, withValue: boolean): Promise<StoredSecret> {
    const dir = secretDir(tenant, name);
    const [rev] = await live(dir);
    if (rev === undefined) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: providerName });
    return readVersion(dir, rev, withValue, { tenant, name });
  }

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
    await walk(secretsRoot(tenant), []);
    return names.sort();
  }

  return { root, tenantDir, secretDir, revisions, isDeleted, live, readVersion, current, allNames };
}
