/**
 * `backup verify` and `backup restore` as operations. Neither opens a runtime before it is authorized: a
 * restore into an empty data directory must not create a keyring first, and a dry run must never create
 * one. So the caller comes from configuration and token alone (openCaller), and the runtime, for a real
 * restore, is opened only after the keyring of the bundle is in place.
 * - verify (permission `backup`): checks a bundle with this installation's master key; audited as
 *   `backup.verify`. (`--offline` verification uses only the bundle and touches no installation.)
 * - restore (permission `restore` on the bundle's tenant): recorded before anything is written, and after
 *   with what it re-created (create/append/overwrite/skip/conflict counts, keyring action) or its error;
 *   a bundle that does not verify (its tenant unknown) leaves one record of the refused attempt.
 */
import {
  type Bundle,
  type BundleHeader,
  InvalidInputError,
  type Provider,
  type RestoreAction,
  applyKeyring,
  applyRestore,
  backupSigner,
  errorOutcome,
  loadMasterKey,
  openBundle,
  parseTenantId,
  planKeyring,
  planRestore,
  readBundleFile,
  recordDrill,
} from "@polyvault/core";
import { loadConfig, resolveConfigPath } from "../config/load.js";
import type { PolyvaultConfig } from "../config/schema.js";
import { resolveDataDir } from "../data-dir.js";
import { createProvider } from "../providers/index.js";
import type { Runtime } from "../runtime.js";
import { openCaller } from "./caller.js";
import { type Caller, type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";

export interface InstallationOptions extends OperationOptions {
  readonly dataDir?: string | undefined;
  readonly configPath?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

interface Installation {
  readonly dataDir: string;
  readonly config: PolyvaultConfig;
  readonly env: NodeJS.ProcessEnv;
}

function installation(options: InstallationOptions): Installation {
  const env = options.env ?? process.env;
  const dataDir = resolveDataDir(options.dataDir, env);
  const { config } = loadConfig(resolveConfigPath(options.configPath, env), env);
  return { dataDir, config, env };
}

/** Runs `fn` as the given caller, or as one opened from the installation (closed after: seals its log). */
async function asCaller<T>(inst: Installation, given: Caller | undefined, fn: (caller: Caller) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const caller = await openCaller(inst);
  try {
    return await fn(caller);
  } finally {
    await caller.close();
  }
}

/** Opens and verifies a bundle with the signing key derived from this data directory's master key. */
async function verifiedBundle(inst: Installation, file: string): Promise<{ bundle: Bundle; masterKey: Buffer }> {
  const bytes = await readBundleFile(file);
  const master = await loadMasterKey({ dataDir: inst.dataDir, env: inst.env });
  try {
    return { bundle: openBundle(bytes, backupSigner(master.key)), masterKey: master.key };
  } catch (err) {
    master.key.fill(0);
    throw err;
  }
}

/** Checks a bundle's signature with this installation's master key; answers its header. */
export async function backupVerify(file: string, options: InstallationOptions = {}): Promise<BundleHeader> {
  const inst = installation(options);
  return asCaller(inst, options.caller, (caller) =>
    runOperation(
      caller,
      { action: "backup.verify", permission: "backup", changes: false },
      async () => {
        const { bundle, masterKey } = await verifiedBundle(inst, file);
        masterKey.fill(0);
        return bundle.header;
      },
      (h) => ({ detail: detailOf({ bundleTenant: h.tenant, secrets: h.secrets, versions: h.versions }) }),
    ),
  );
}

/**
 * The tenant's primary, built from configuration alone: a dry run must not open the keyring, which
 * would create keys/keyring.json in a new data directory and block the real restore after it.
 * (Same placement rule as Runtime.placement.)
 */
async function primaryFromConfig(inst: Installation, tenant: string): Promise<Provider> {
  const { config } = inst;
  const name = config.tenants?.[tenant]?.primary ?? Object.entries(config.providers ?? {}).find(([, pc]) => pc.type === "file")?.[0];
  const pc = name === undefined ? undefined : config.providers?.[name];
  if (name === undefined || pc === undefined)
    throw new InvalidInputError(`tenant ${tenant} has no entry in tenants and there is no file provider to default to`);
  return createProvider(name, pc, inst.dataDir);
}

export function summarizeRestore(actions: readonly RestoreAction[]): Record<RestoreAction["action"], number> {
  const s = { create: 0, append: 0, overwrite: 0, skip: 0, conflict: 0 };
  for (const a of actions) s[a.action]++;
  return s;
}

export interface RestoreOptions extends InstallationOptions {
  /** The tenant the bundle must belong to. */
  readonly tenant?: string | undefined;
  /** Show what would change; write nothing. */
  readonly dryRun?: boolean | undefined;
  /** Opens the runtime for a real restore, once the bundle's keyring is in place (the CLI's own). */
  readonly openRuntime: () => Promise<Runtime>;
}

export interface RestoreReport {
  readonly tenant: string;
  readonly dryRun: boolean;
  readonly bundle: { readonly createdAt: string; readonly secrets: number; readonly versions: number };
  readonly keyring: string;
  readonly actions: RestoreAction[];
  readonly summary: Record<RestoreAction["action"], number>;
}

export async function backupRestore(file: string, options: RestoreOptions): Promise<RestoreReport> {
  const inst = installation(options);
  const dryRun = Boolean(options.dryRun);
  return asCaller(inst, options.caller, async (caller) => {
    let opened: { bundle: Bundle; masterKey: Buffer };
    try {
      opened = await verifiedBundle(inst, file);
    } catch (err) {
      // Its tenant is unknown until it verifies, so nothing can be authorized: record the attempt, best effort.
      const attempt = { actor: caller.actor, action: "backup.restore", requestId: caller.requestId, reason: "the bundle was refused before it was opened" };
      await caller.security.record({ ...attempt, outcome: errorOutcome(err), detail: detailOf({ dryRun }) }).catch(() => undefined);
      throw err;
    }
    const { bundle, masterKey } = opened;
    try {
      return await runOperation(
        caller,
        { action: "backup.restore", permission: "restore", tenant: bundle.header.tenant, changes: !dryRun },
        () => restoreBody(inst, bundle, masterKey, options),
        (r) => ({
          detail: detailOf({ dryRun: r.dryRun, ...r.summary, keyring: r.keyring, bundleSecrets: r.bundle.secrets, bundleVersions: r.bundle.versions }),
        }),
      );
    } finally {
      masterKey.fill(0);
    }
  });
}

async function restoreBody(inst: Installation, bundle: Bundle, masterKey: Buffer, options: RestoreOptions): Promise<RestoreReport> {
  const tenant = bundle.header.tenant;
  const used = new Set(bundle.secrets.flatMap((s) => s.versions.map((v) => v.keyVersion)));
  let keyring: string;
  let actions: RestoreAction[] = [];
  try {
    if (options.tenant !== undefined && parseTenantId(options.tenant) !== tenant)
      throw new InvalidInputError(`the bundle holds tenant ${tenant}, not ${options.tenant} (ciphertexts are bound to their tenant)`);
    if (options.dryRun) {
      keyring = await planKeyring(inst.dataDir, bundle.header.keyring, used);
      const provider = await primaryFromConfig(inst, tenant);
      try {
        actions = await planRestore(bundle, provider);
      } finally {
        await provider.close();
      }
    } else {
      keyring = await applyKeyring(inst.dataDir, masterKey, bundle.header.keyring, used);
    }
  } finally {
    masterKey.fill(0);
  }
  if (!options.dryRun) {
    const rt = await options.openRuntime();
    const manager = rt.manager(tenant);
    actions = await planRestore(bundle, manager.primary);
    await withProgress(options, `restore ${tenant}`, (bar) =>
      applyRestore({ bundle, actions, manager, keyring: rt.keyring, onProgress: (d, t) => bar.update(d, t) }),
    );
  }
  const h = bundle.header;
  await recordDrill(inst.dataDir, {
    tenant,
    at: new Date().toISOString(),
    kind: options.dryRun ? "dry-run" : "restore",
    bundleCreatedAt: h.createdAt,
    secrets: h.secrets,
    versions: h.versions,
  });
  return {
    tenant,
    dryRun: Boolean(options.dryRun),
    bundle: { createdAt: h.createdAt, secrets: h.secrets, versions: h.versions },
    keyring,
    actions,
    summary: summarizeRestore(actions),
  };
}
