/**
 * `backups` (configuration `backups: { schedule, dir, keep }`): each run writes one signed bundle per
 * tenant into `<dir>/<tenant>/` (backup.create), reads it back and verifies it (backup.verify: same
 * bytes, signature under this installation's key), and only then deletes that tenant's bundles beyond
 * the newest `keep`. A bundle that leaves a secret out, or does not verify, fails the run (alert) and
 * prunes nothing, so the last good bundles stay. `polyvault backup list` shows them and `backup drill`
 * restores the newest into a scratch data directory (docs/backup.md, "Scheduled backups").
 */
import { isAbsolute, dirname, resolve } from "node:path";
import { CheckFailedError, type TenantId, bundlePath, parseTenantId, prepareBackupDir, pruneBundles } from "@polyvault/core";
import { backupCheck, backupCreate } from "../operations/backup.js";
import type { Runtime } from "../runtime.js";
import type { JobFactory } from "./types.js";

/** `backups.dir` as a path: relative to the configuration file's directory, else to the data directory. */
export function backupsDir(rt: Runtime, dir = rt.config.backups?.dir): string | undefined {
  if (dir === undefined) return undefined;
  return isAbsolute(dir) ? dir : resolve(rt.loaded.path ? dirname(rt.loaded.path) : rt.dataDir, dir);
}

async function tenantsOf(rt: Runtime, listed: "*" | readonly string[] | undefined): Promise<TenantId[]> {
  return listed === undefined || listed === "*" ? rt.tenants() : listed.map(parseTenantId);
}

export const backupJob: JobFactory = (config) => {
  const b = config.backups;
  if (!b) return undefined;
  return {
    name: "backups",
    schedule: b.schedule,
    permission: "backup",
    description: `a signed, verified bundle per tenant in ${b.dir}, keeping the newest ${b.keep}`,
    async run(ctx) {
      const rt = ctx.runtime;
      const dir = backupsDir(rt) as string;
      const counts = { tenants: 0, secrets: 0, versions: 0, bytes: 0, pruned: 0, skipped: 0 };
      const incomplete: string[] = [];
      for (const tenant of await tenantsOf(rt, b.tenants)) {
        ctx.signal.throwIfAborted();
        await prepareBackupDir(dir, tenant);
        const made = await backupCreate(rt, { caller: ctx.caller, progress: ctx.progress, tenant, out: (at) => bundlePath(dir, tenant, at) });
        await backupCheck(rt, made.file, { caller: ctx.caller, expect: { sha256: made.sha256, tenant } });
        counts.tenants++;
        counts.secrets += made.secrets;
        counts.versions += made.versions;
        counts.bytes += made.bytes;
        if (made.skipped.length) {
          // Keep the older, complete bundles: prune nothing for this tenant.
          counts.skipped += made.skipped.length;
          incomplete.push(`${tenant} (${made.skipped.map((s) => s.name).join(", ")})`);
          continue;
        }
        counts.pruned += (await pruneBundles(dir, tenant, b.keep)).length;
        ctx.log(`${tenant}: ${made.file} (${made.secrets} secret(s), ${made.versions} version(s)), verified`);
      }
      if (incomplete.length)
        throw new CheckFailedError(
          `backups: ${counts.skipped} secret(s) were left out because their stored bytes are not Polyvault envelopes: ${incomplete.join("; ")}; older bundles of those tenants were kept`,
        );
      if (counts.tenants === 0) return { status: "nothing-due", message: "no tenant to back up", counts };
      return {
        status: "done",
        message: `${counts.tenants} tenant(s) backed up to ${dir} and verified (${counts.secrets} secret(s), ${counts.versions} version(s)); ${counts.pruned} old bundle(s) pruned`,
        counts,
      };
    },
  };
};
