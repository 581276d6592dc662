/**
 * `backup create` as an operation (permission `backup` on the tenant): a bulk export of every version of
 * the tenant's secrets, still encrypted, to a signed bundle. Recorded before it reads anything and after,
 * with what it wrote (secrets, versions, bytes, skipped): never a value.
 */
import { createHash } from "node:crypto";
import {
  type BackupSummary,
  IntegrityError,
  backupSigner,
  createBackup,
  loadMasterKey,
  openBundle,
  parseTenantId,
  readBundleFile,
  writeBundleFile,
} from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";

/** The runtime's master key, as it was opened (environment, passphrase or key file); the caller wipes it. */
export function masterKeyOf(rt: Runtime): ReturnType<typeof loadMasterKey> {
  const { passphrase } = rt.options;
  return loadMasterKey({ dataDir: rt.dataDir, env: rt.options.env ?? process.env, ...(passphrase === undefined ? {} : { passphrase }) });
}

export interface BackupCreateOptions extends OperationOptions {
  readonly tenant: string;
  /** The bundle file to write (mode 0600; replaced atomically), or a function of the bundle's creation time. */
  readonly out: string | ((createdAt: string) => string);
}

export async function backupCreate(rt: Runtime, options: BackupCreateOptions): Promise<BackupSummary & { file: string; sha256: string }> {
  const tenant = parseTenantId(options.tenant);
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "backup.create", permission: "backup", tenant, changes: true },
    async () => {
      const master = await masterKeyOf(rt);
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
      const file = typeof options.out === "string" ? options.out : options.out(made.summary.createdAt);
      await writeBundleFile(file, made.bytes);
      return { ...made.summary, file, sha256: createHash("sha256").update(made.bytes).digest("hex") };
    },
    (s) => ({ detail: detailOf({ provider: s.provider, secrets: s.secrets, versions: s.versions, bytes: s.bytes, skipped: s.skipped.length }) }),
  );
}

export interface BackupCheck {
  readonly file: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly secrets: number;
  readonly versions: number;
  /** sha256 of the file as read back. */
  readonly sha256: string;
}

/**
 * `backup verify` with an open runtime (the scheduled backup checks each bundle it wrote): reads the
 * file back, verifies its signature with this installation's key, and, given `expect`, checks that it
 * is the bundle that was written (same bytes, same counts). Audited as backup.verify.
 */
export async function backupCheck(
  rt: Runtime,
  file: string,
  options: OperationOptions & { readonly expect?: { readonly sha256: string; readonly tenant: string } | undefined } = {},
): Promise<BackupCheck> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "backup.verify", permission: "backup", tenant: options.expect?.tenant, changes: false },
    async () => {
      const bytes = await readBundleFile(file);
      const master = await masterKeyOf(rt);
      const signer = backupSigner(master.key);
      master.key.fill(0);
      const { header } = openBundle(bytes, signer);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (options.expect && (sha256 !== options.expect.sha256 || header.tenant !== options.expect.tenant))
        throw new IntegrityError(`${file} read back differs from the bundle just written (the disk or another writer changed it)`);
      return { file, tenant: header.tenant, createdAt: header.createdAt, secrets: header.secrets, versions: header.versions, sha256 };
    },
    (c) => ({ detail: detailOf({ bundleTenant: c.tenant, secrets: c.secrets, versions: c.versions }) }),
  );
}
