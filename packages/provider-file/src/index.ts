/**
 * @polyvault/provider-file: the embedded default provider. One directory per tenant, one directory per
 * secret, one file per version; atomic, durable writes; a lock between processes per secret. No server.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type CommonProviderOptions,
  ConflictError,
  type DeleteOptions,
  InvalidInputError,
  IntegrityError,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type Provider,
  type PutOptions,
  type SecretHead,
  type StoredSecret,
  type TenantId,
  TenantIdSchema,
  TooLargeError,
  type VersionInfo,
} from "@polyvault/core";
import { encodeVersion } from "./format.js";
import { ensureDir, removeTreeAtomic, writeFileAtomic } from "./fs-atomic.js";
import { withFsErrorsMapped } from "./fs-errors.js";
import { withSecretLock } from "./lock.js";
import { decodeName, encodeName, fileNameFits } from "./names.js";
import { assertNoLinks } from "./safe-fs.js";
import { DELETED_MARKER, readVersionFile, scan, versionFile } from "./versions.js";

export { decodeName, encodeName, fileNameFits } from "./names.js";
export { decodeHeader, encodeVersion, type VersionHeader } from "./format.js";

export interface FileProviderOptions extends CommonProviderOptions {
  /** The store's root directory (the CLI uses <data-dir>/store). */
  readonly dir: string;
  /** Largest value in bytes (default 1 MiB). */
  readonly maxValueBytes?: number;
}

export function createFileProvider(options: FileProviderOptions): Provider {
  return withFsErrorsMapped(createRaw(options), options.name);
}

/** Room for a version file's header beyond the largest value. */
const HEADER_ROOM = 1024 * 1024;

function createRaw(options: FileProviderOptions): Provider {
  const root = options.dir;
  const maxValue = options.maxValueBytes ?? 1024 * 1024;
  const tenantDir = (t: TenantId) => join(root, t);
  const secretsRoot = (t: TenantId) => join(tenantDir(t), "s");
  /** A directory of the store, checked to hold no symbolic link between the root and itself. */
  const checked = async (dir: string): Promise<string> => {
    await assertNoLinks(root, dir, options.name);
    return dir;
  };

  /** The secret's directory (names validated first), with no link on the way to it. */
  async function secretDir(tenant: TenantId, name: string): Promise<string> {
    const fit = fileNameFits(tenant, name);
    if (!fit.ok) throw new InvalidInputError(`file provider cannot hold secret name ${JSON.stringify(name)}: ${fit.reason}`);
    return checked(join(secretsRoot(tenant), ...encodeName(name)));
  }

  const revisions = async (dir: string): Promise<number[]> => (await scan(dir)).revs;
  const isDeleted = async (dir: string): Promise<boolean> => (await scan(dir)).deleted;

  /** Live revisions (empty when absent or soft-deleted). */
  async function live(dir: string): Promise<number[]> {
    const { revs, deleted } = await scan(dir);
    return deleted ? [] : revs;
  }

  const readVersion = (dir: string, rev: number, withValue: boolean, expect: { tenant: TenantId; name: string }): Promise<StoredSecret> =>
    readVersionFile({ dir, rev, withValue, expect, maxBytes: maxValue + HEADER_ROOM, provider: options.name });

  async function current(tenant: TenantId, name: string, withValue: boolean): Promise<StoredSecret> {
    const dir = await secretDir(tenant, name);
    const [rev] = await live(dir);
    if (rev === undefined) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: options.name });
    return readVersion(dir, rev, withValue, { tenant, name });
  }

  const headOf = ({ value: _value, ...head }: StoredSecret): SecretHead => head;

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

  return {
    name: options.name,
    type: "file",
    capabilities: {
      maxValueBytes: options.maxValueBytes ?? 1024 * 1024,
      versions: true,
      checkAndSet: true,
      softDelete: true,
      batchGet: 1000,
      maxPageSize: 1000,
      nameRule: "any valid Polyvault secret name (letters, digits, _ - . /; up to 256 characters)",
    },

    nameFits: (tenant, name) => fileNameFits(tenant, name),

    async list(tenant: TenantId, opts: ListOptions = {}): Promise<ListPage> {
      const size = Math.max(1, Math.min(opts.pageSize ?? 100, 1000));
      const after = opts.cursor === undefined ? undefined : Buffer.from(opts.cursor, "base64url").toString("utf8");
      const names = (await allNames(tenant)).filter((n) => after === undefined || n > after);
      const items: SecretHead[] = [];
      let last: string | undefined;
      for (const name of names) {
        if (items.length === size) break;
        last = name;
        const dir = join(secretsRoot(tenant), ...encodeName(name));
        const [rev] = await live(dir);
        if (rev === undefined) continue;
        try {
          items.push(headOf(await readVersion(dir, rev, false, { tenant, name })));
        } catch (err) {
          // One damaged record does not hide the others: it is listed (as ours, with no metadata) and
          // every read of it fails with the IntegrityError.
          if (!(err instanceof IntegrityError)) throw err;
          items.push({ name, version: String(rev), updatedAt: undefined, managed: true, metadata: {} });
        }
      }
      const more = last !== undefined && names.indexOf(last) < names.length - 1;
      return { items, cursor: more && last !== undefined ? Buffer.from(last, "utf8").toString("base64url") : undefined };
    },

    head: async (tenant, name) => headOf(await current(tenant, name, false)),

    async get(tenant, name, opts = {}) {
      if (opts.version === undefined) return current(tenant, name, true);
      const dir = await secretDir(tenant, name);
      const rev = Number(opts.version);
      if (!Number.isInteger(rev) || !(await live(dir)).includes(rev)) {
        throw new NotFoundError(`version ${JSON.stringify(opts.version)} of secret ${JSON.stringify(name)} not found in tenant ${tenant}`, {
          provider: options.name,
        });
      }
      return readVersion(dir, rev, true, { tenant, name });
    },

    async getMany(tenant, names) {
      const out = new Map<string, StoredSecret>();
      for (const name of names) {
        try {
          out.set(name, await current(tenant, name, true));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return out;
    },

    async put(tenant, name, value, opts: PutOptions = {}) {
      const dir = await secretDir(tenant, name);
      if (value.length > maxValue)
        throw new TooLargeError(`value of ${value.length} bytes exceeds the file provider's limit of ${maxValue} bytes`, { provider: options.name });
      await ensureDir(dir);
      await checked(dir);
      return withSecretLock(await checked(join(tenantDir(tenant), "locks")), encodeName(name).join("/"), async () => {
        const revs = await live(dir);
        const [rev] = revs;
        if (rev !== undefined) {
          const cur = await readVersion(dir, rev, false, { tenant, name });
          if (!cur.managed && !opts.adopt)
            throw new ConflictError(`secret ${JSON.stringify(name)} exists and is not managed by Polyvault; refusing to overwrite it`, {
              provider: options.name,
            });
        }
        if (opts.ifVersion === null && rev !== undefined) {
          throw new ConflictError(`secret ${JSON.stringify(name)} already exists (version ${rev})`, { provider: options.name });
        }
        if (typeof opts.ifVersion === "string" && opts.ifVersion !== String(rev)) {
          throw new ConflictError(`secret ${JSON.stringify(name)} changed: expected version ${opts.ifVersion}, found ${rev ?? "none"}`, {
            provider: options.name,
          });
        }
        // Writing a soft-deleted name starts it afresh: the deleted versions are purged first.
        if (rev === undefined && (await isDeleted(dir))) {
          await removeTreeAtomic(dir, await checked(join(tenantDir(tenant), "trash")));
          await ensureDir(dir);
        }
        const next = ((await revisions(dir))[0] ?? 0) + 1;
        const createdAt = new Date().toISOString();
        await writeFileAtomic(
          join(dir, versionFile(next)),
          encodeVersion({ name, tenant, managed: true, metadata: opts.metadata ?? {}, createdAt, version: next }, value),
        );
        return { name, version: String(next), updatedAt: new Date(createdAt), managed: true, metadata: opts.metadata ?? {} };
      });
    },

    async delete(tenant, name, opts: DeleteOptions = {}) {
      const dir = await secretDir(tenant, name);
      await withSecretLock(await checked(join(tenantDir(tenant), "locks")), encodeName(name).join("/"), async () => {
        const revs = await revisions(dir);
        const deleted = await isDeleted(dir);
        if (revs.length === 0 || (deleted && !opts.purge))
          throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: options.name });
        const newest = await readVersion(dir, revs[0] as number, false, { tenant, name });
        if (!newest.managed)
          throw new ConflictError(`secret ${JSON.stringify(name)} is not managed by Polyvault; refusing to delete it`, { provider: options.name });
        if (opts.purge) await removeTreeAtomic(dir, await checked(join(tenantDir(tenant), "trash")));
        else await writeFileAtomic(join(dir, DELETED_MARKER), Buffer.from(JSON.stringify({ deletedAt: new Date().toISOString() })));
      });
    },

    async versions(tenant, name): Promise<VersionInfo[]> {
      const dir = await secretDir(tenant, name);
      const revs = await live(dir);
      if (revs.length === 0) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: options.name });
      const out: VersionInfo[] = [];
      for (const rev of revs) {
        const v = await readVersion(dir, rev, false, { tenant, name });
        out.push({ version: String(rev), createdAt: v.updatedAt, current: rev === revs[0] });
      }
      return out;
    },

    async rewriteVersion(tenant, name, version, value, opts = {}) {
      const dir = await secretDir(tenant, name);
      await withSecretLock(await checked(join(tenantDir(tenant), "locks")), encodeName(name).join("/"), async () => {
        const rev = Number(version);
        if (!(await live(dir)).includes(rev))
          throw new NotFoundError(`version ${version} of secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: options.name });
        const cur = await readVersion(dir, rev, false, { tenant, name });
        if (!cur.managed)
          throw new ConflictError(`secret ${JSON.stringify(name)} is not managed by Polyvault; refusing to rewrite it`, { provider: options.name });
        const header = {
          name,
          tenant,
          managed: true,
          metadata: { ...cur.metadata, ...opts.metadata },
          createdAt: (cur.updatedAt ?? new Date()).toISOString(),
          version: rev,
        };
        await writeFileAtomic(join(dir, versionFile(rev)), encodeVersion(header, value));
      });
    },

    async listTenants() {
      try {
        const entries = await readdir(root, { withFileTypes: true });
        return entries
          .filter((e) => e.isDirectory() && TenantIdSchema.safeParse(e.name).success)
          .map((e) => e.name as TenantId)
          .sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw err;
      }
    },

    async health() {
      const t0 = performance.now();
      try {
        await ensureDir(root);
        return { ok: true, latencyMs: performance.now() - t0 };
      } catch (err) {
        return { ok: false, latencyMs: performance.now() - t0, detail: (err as Error).message };
      }
    },

    async close() {
      // Nothing to release: no client, no open handles between calls.
    },
  };
}
