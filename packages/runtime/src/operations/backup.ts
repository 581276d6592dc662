/**
 * `backup create` as an operation (permission `backup` on the tenant): a bulk export of every version of
 * the tenant's secrets, still encrypted, to a signed bundle. Recorded before it reads anything and after,
 * with what it wrote (secrets, versions, bytes, skipped): never a value.
 */
import { type BackupSummary, backupSigner, createBackup, loadMasterKey, parseTenantId, writeBundleFile } from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";

export interface BackupCreateOptions extends OperationOptions {
  readonly tenant: string;
  /** The bundle file to write (mode 0600; replaced atomically). */
  readonly out: string;
}

export async function backupCreate(rt: Runtime, options: BackupCreateOptions): Promise<BackupSummary & { file: string }> {
  const tenant = parseTenantId(options.tenant);
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "backup.create", permission: "backup", tenant, changes: true },
    async () => {
      const master = await loadMasterKey({ dataDir: rt.dataDir, env: rt.options.env ?? process.env });
      const signer = backupSigner(master.key);
      master.key.fill(0);
      const made = await withProgress(options, `backup ${tenant}`, (bar) =>
        createBackup({
          tenant,
          provider: rt.placement(tenant).primary,
          keyringPath: rt.keyring.path,
          signer,
          onProgress: (d, t) => bar.update(d, t),
        }),
      );
      await writeBundleFile(options.out, made.bytes);
      return { ...made.summary, file: options.out };
    },
    (s) => ({ detail: detailOf({ provider: s.provider, secrets: s.secrets, versions: s.versions, bytes: s.bytes, skipped: s.skipped.length }) }),
  );
}
