/**
 * `backup drill`: proves that a bundle restores. It verifies the bundle (signature under this
 * installation's key: a tampered bundle is IntegrityError, exit 6), restores it into a new scratch
 * data directory (the bundle's keyring, this master key, the embedded default file store), reads every
 * restored version back through a SecretManager and compares its keyed digest with the one the bundle
 * recorded, then compares each secret with the live primary (same, changed since, gone since). Values
 * are only ever in memory; the scratch directory is deleted afterwards (unless `keep`). The drill is
 * recorded in backup-drills.json like a restore (the `backup-drill` compliance control). Audited as
 * backup.drill (permission `restore` on the tenant).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Bundle,
  IntegrityError,
  META,
  NotFoundError,
  applyKeyring,
  applyRestore,
  backupSigner,
  digest,
  listBundles,
  openBundle,
  parseTenantId,
  planRestore,
  readBundleFile,
  recordDrill,
} from "@polyvault/core";
import { Runtime } from "../runtime.js";
import { masterKeyOf } from "./backup.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation } from "./operation.js";

export interface DrillOptions extends OperationOptions {
  readonly tenant: string;
  /** The bundle to drill (default: the tenant's newest in `dir`). */
  readonly file?: string | undefined;
  /** The directory of scheduled backups, to find the newest bundle. */
  readonly dir?: string | undefined;
  /** Keep the scratch data directory (its path is in the report). */
  readonly keep?: boolean | undefined;
}

export interface DrillReport {
  readonly tenant: string;
  readonly file: string;
  readonly bundleCreatedAt: string;
  readonly scratchDir: string | undefined;
  readonly secrets: number;
  /** Restored versions read back whose digest matches the bundle's. */
  readonly versionsVerified: number;
  /** The live primary compared with the bundle's newest version of each secret. */
  readonly live: { readonly same: number; readonly changedSince: number; readonly goneSince: number };
}

async function newestBundle(tenant: string, dir: string | undefined): Promise<string> {
  if (dir === undefined) throw new NotFoundError("no bundle given and no backups.dir configured: pass --file or --dir");
  const [newest] = await listBundles(dir, tenant);
  if (!newest) throw new NotFoundError(`no bundle of tenant ${tenant} in ${dir}`);
  return newest.file;
}

export async function backupDrill(rt: Runtime, options: DrillOptions): Promise<DrillReport> {
  const tenant = parseTenantId(options.tenant);
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "backup.drill", permission: "restore", tenant, changes: false },
    async () => {
      const file = options.file ?? (await newestBundle(tenant, options.dir));
      const bytes = await readBundleFile(file);
      const master = await masterKeyOf(rt);
      try {
        const bundle = openBundle(bytes, backupSigner(master.key));
        if (bundle.header.tenant !== tenant) throw new IntegrityError(`${file} holds tenant ${bundle.header.tenant}, not ${tenant}`);
        const scratch = await mkdtemp(join(tmpdir(), "polyvault-drill-"));
        try {
          const report = await restoreAndCompare(rt, bundle, master.key, scratch);
          await recordDrill(rt.dataDir, {
            tenant,
            at: new Date().toISOString(),
            kind: "restore",
            bundleCreatedAt: bundle.header.createdAt,
            secrets: bundle.header.secrets,
            versions: bundle.header.versions,
          });
          return { tenant, file, bundleCreatedAt: bundle.header.createdAt, scratchDir: options.keep ? scratch : undefined, ...report };
        } finally {
          if (!options.keep) await rm(scratch, { recursive: true, force: true });
        }
      } finally {
        master.key.fill(0);
      }
    },
    (r) => ({ detail: detailOf({ secrets: r.secrets, verified: r.versionsVerified, ...r.live }) }),
  );
}

async function restoreAndCompare(
  rt: Runtime,
  bundle: Bundle,
  masterKey: Buffer,
  scratch: string,
): Promise<Pick<DrillReport, "secrets" | "versionsVerified" | "live">> {
  const tenant = parseTenantId(bundle.header.tenant);
  const used = new Set(bundle.secrets.flatMap((s) => s.versions.map((v) => v.keyVersion)));
  await applyKeyring(scratch, masterKey, bundle.header.keyring, used);
  const env = { POLYVAULT_MASTER_KEY: masterKey.toString("base64") };
  const drill = await Runtime.open({ dataDir: scratch, config: { providers: { local: { type: "file" } } }, env, actor: "backup-drill", pushOnWrite: false });
  let verified = 0;
  const live = { same: 0, changedSince: 0, goneSince: 0 };
  try {
    const manager = drill.manager(tenant);
    await applyRestore({ bundle, actions: await planRestore(bundle, manager.primary), manager, keyring: drill.keyring });
    const primary = rt.placement(tenant).primary;
    for (const s of bundle.secrets) {
      for (const v of s.versions) {
        const value = await manager.get(s.name, { version: v.revision });
        try {
          if (digest(drill.keyring, tenant, s.name, value.bytes()) !== v.metadata[META.digest])
            throw new IntegrityError(`${s.name} revision ${v.revision} restored, but its value does not match the digest the bundle recorded`);
        } finally {
          value.wipe();
        }
        verified++;
      }
      const newest = s.versions.at(-1)?.metadata[META.digest];
      const head = await primary.head(tenant, s.name).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (!head) live.goneSince++;
      else if (head.metadata[META.digest] === newest) live.same++;
      else live.changedSince++;
    }
  } finally {
    await drill.close();
  }
  return { secrets: bundle.secrets.length, versionsVerified: verified, live };
}
