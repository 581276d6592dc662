/** The file provider's reads and housekeeping, with the writes from writes.ts, as one Provider. */
import { readdir } from "node:fs/promises";
import {
  IntegrityError,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type Provider,
  type SecretHead,
  type StoredSecret,
  type TenantId,
  TenantIdSchema,
  type VersionInfo,
} from "@polyvault/core";
import { ensureDir } from "./fs-atomic.js";
import { createLayout, headOf } from "./layout.js";
import { createListings } from "./listing.js";
import { fileNameFits } from "./names.js";
import type { FileProviderOptions } from "./options.js";
import { createWrites } from "./writes.js";

export function createRaw(options: FileProviderOptions): Provider {
  const store = createLayout(options.dir, options.name, options.maxValueBytes ?? 1024 * 1024, options.readCache ?? true);
  const { root, secretPath, secretDir, live, readVersion, current, allNames } = store;
  const listings = createListings(allNames);

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
      const { names, start } = await listings.from(tenant, opts.cursor, after);
      const items: SecretHead[] = [];
      let at = start;
      for (; at < names.length && items.length < size; at++) {
        const name = names[at] as string;
        // allNames walked real directories only (the tenant's own checked for links first).
        const dir = secretPath(tenant, name);
        const [rev] = await live(dir);
        if (rev === undefined) continue;
        try {
          items.push(headOf(await readVersion(dir, rev, false, { tenant, name })));
        } catch (err) {
          // One damaged record does not hide the others (issue 15.8): it is listed, as ours with no
          // metadata, and every read of it fails with the IntegrityError.
          if (!(err instanceof IntegrityError)) throw err;
          items.push({ name, version: String(rev), updatedAt: undefined, managed: true, metadata: {} });
        }
      }
      if (at >= names.length) return { items, cursor: undefined };
      const cursor = Buffer.from(names[at - 1] as string, "utf8").toString("base64url");
      listings.keep(tenant, cursor, names, at);
      return { items, cursor };
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

    ...createWrites(store, options),

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
