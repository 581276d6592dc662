/** The file provider's writes, each under the per-secret lock between processes: put, delete, rewriteVersion. */
import { join } from "node:path";
import { ConflictError, type DeleteOptions, NotFoundError, type Provider, type PutOptions, type TenantId, TooLargeError } from "@polyvault/core";
import { encodeVersion } from "./format.js";
import { ensureDir, removeTreeAtomic, writeFileAtomic } from "./fs-atomic.js";
import { DELETED_MARKER, type Layout, versionFile } from "./layout.js";
import { withSecretLock } from "./lock.js";
import { encodeName } from "./names.js";
import type { FileProviderOptions } from "./options.js";

export function createWrites(store: Layout, options: FileProviderOptions): Pick<Provider, "put" | "delete" | "rewriteVersion"> {
  const { tenantDir, checked, secretDir, revisions, isDeleted, live, readVersion, forget } = store;
  const locks = (tenant: TenantId) => checked(join(tenantDir(tenant), "locks"));
  const trash = (tenant: TenantId) => checked(join(tenantDir(tenant), "trash"));
  return {
    async put(tenant, name, value, opts: PutOptions = {}) {
      const dir = await secretDir(tenant, name);
      const max = options.maxValueBytes ?? 1024 * 1024;
      if (value.length > max)
        throw new TooLargeError(`value of ${value.length} bytes exceeds the file provider's limit of ${max} bytes`, { provider: options.name });
      await ensureDir(dir);
      await checked(dir);
      forget(dir);
      return withSecretLock(await locks(tenant), encodeName(name).join("/"), async () => {
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
          await removeTreeAtomic(dir, await trash(tenant));
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
      forget(dir);
      await withSecretLock(await locks(tenant), encodeName(name).join("/"), async () => {
        const revs = await revisions(dir);
        const deleted = await isDeleted(dir);
        if (revs.length === 0 || (deleted && !opts.purge))
          throw new NotFoundError(`secret ${JSON.stringify(name)} not found in tenant ${tenant}`, { provider: options.name });
        const newest = await readVersion(dir, revs[0] as number, false, { tenant, name });
        if (!newest.managed)
          throw new ConflictError(`secret ${JSON.stringify(name)} is not managed by Polyvault; refusing to delete it`, { provider: options.name });
        if (opts.purge) await removeTreeAtomic(dir, await trash(tenant));
        else await writeFileAtomic(join(dir, DELETED_MARKER), Buffer.from(JSON.stringify({ deletedAt: new Date().toISOString() })));
      });
    },

    async rewriteVersion(tenant, name, version, value, opts = {}) {
      const dir = await secretDir(tenant, name);
      forget(dir);
      await withSecretLock(await locks(tenant), encodeName(name).join("/"), async () => {
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
  };
}
