import type { Command } from "commander";
import {
  type Bundle,
  InvalidInputError,
  type Provider,
  type RestoreAction,
  applyKeyring,
  applyRestore,
  backupSigner,
  checkBundleSelfSigned,
  createBackup,
  loadMasterKey,
  openBundle,
  parseTenantId,
  planKeyring,
  planRestore,
  readBundleFile,
  recordDrill,
  writeBundleFile,
} from "@polyvault/core";
import { createProvider, loadConfig, resolveConfigPath, resolveDataDir } from "@polyvault/runtime";
import type { Context } from "../context.js";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { progressBar } from "../progress.js";
import { EXIT } from "../exit-codes.js";

/** Opens and verifies a bundle with the signing key derived from this data directory's master key. */
async function verifiedBundle(ctx: Context, file: string): Promise<{ bundle: Bundle; dataDir: string; masterKey: Buffer }> {
  const dataDir = resolveDataDir(ctx.globals.dataDir, ctx.io.env);
  const bytes = await readBundleFile(file);
  const master = await loadMasterKey({ dataDir, env: ctx.io.env });
  try {
    return { bundle: openBundle(bytes, backupSigner(master.key)), dataDir, masterKey: master.key };
  } catch (err) {
    master.key.fill(0);
    throw err;
  }
}

/**
 * The tenant's primary, built from configuration alone: a dry run must not open the keyring, which
 * would create keys/keyring.json in a new data directory and block the real restore after it.
 * (Same placement rule as Runtime.placement.)
 */
async function primaryFromConfig(ctx: Context, dataDir: string, tenant: string): Promise<Provider> {
  const { config } = loadConfig(resolveConfigPath(ctx.globals.config, ctx.io.env), ctx.io.env);
  const name = config.tenants?.[tenant]?.primary ?? Object.entries(config.providers ?? {}).find(([, pc]) => pc.type === "file")?.[0];
  const pc = name === undefined ? undefined : config.providers?.[name];
  if (name === undefined || pc === undefined)
    throw new InvalidInputError(`tenant ${tenant} has no entry in tenants and there is no file provider to default to`);
  return createProvider(name, pc, dataDir);
}

function summarize(actions: readonly RestoreAction[]): Record<RestoreAction["action"], number> {
  const s = { create: 0, append: 0, overwrite: 0, skip: 0, conflict: 0 };
  for (const a of actions) s[a.action]++;
  return s;
}

export function registerBackup(program: Command, run: Runner): void {
  const backup = program.command("backup").description("signed, ciphertext-only backups of a tenant; restore with a dry run first");

  backup
    .command("create")
    .description("write one tenant's secrets (every version, still encrypted) to a signed bundle")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--out <file>", "bundle file to write (mode 0600; replaced atomically)")
    .action(
      run(async (ctx, opts: { tenant: string; out: string }) => {
        const rt = await ctx.runtime();
        const tenant = parseTenantId(opts.tenant);
        await ctx.authorize(tenant, "backup");
        const master = await loadMasterKey({ dataDir: rt.dataDir, env: ctx.io.env });
        const signer = backupSigner(master.key);
        master.key.fill(0);
        const bar = progressBar(ctx, `backup ${tenant}`);
        let made: Awaited<ReturnType<typeof createBackup>>;
        try {
          made = await createBackup({
            tenant,
            provider: rt.placement(tenant).primary,
            keyringPath: rt.keyring.path,
            signer,
            onProgress: (d, t) => bar.update(d, t),
          });
        } finally {
          bar.stop();
        }
        await writeBundleFile(opts.out, made.bytes);
        const s = made.summary;
        ctx.out.result({ ...s, file: opts.out }, () => [
          `${opts.out}: ${s.secrets} secret(s), ${s.versions} version(s) of tenant ${tenant} from ${s.provider}, signed (${s.bytes} bytes)`,
          ...s.skipped.map((k) => `skipped ${k.name}: ${k.reason}`),
        ]);
        return s.skipped.length ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  backup
    .command("verify <file>")
    .description("check a bundle's signature (with this installation's master key, or --offline with the key written in the bundle)")
    .option("--offline", "without the master key: detects damage, not who made it")
    .action(
      run(async (ctx, file: string, opts: { offline?: boolean }) => {
        const bundle = opts.offline
          ? checkBundleSelfSigned(await readBundleFile(file))
          : await verifiedBundle(ctx, file).then((v) => {
              v.masterKey.fill(0);
              return v.bundle;
            });
        const h = bundle.header;
        ctx.out.result(
          { file, verified: true, offline: Boolean(opts.offline), tenant: h.tenant, createdAt: h.createdAt, secrets: h.secrets, versions: h.versions },
          () =>
            `${file}: signature verifies${opts.offline ? " (against the key in the bundle)" : ""}; tenant ${h.tenant}, ${h.secrets} secret(s), ${h.versions} version(s), made ${h.createdAt}`,
        );
        return EXIT.OK;
      }),
    );

  backup
    .command("restore <file>")
    .description("verify a bundle, then restore it into the tenant's primary (--dry-run: show what would change, write nothing)")
    .option("--tenant <tenant>", "the tenant the bundle must belong to")
    .option("--dry-run", "show create/append/overwrite/skip per secret and change nothing")
    .action(
      run(async (ctx, file: string, opts: { tenant?: string; dryRun?: boolean }) => {
        const { bundle, dataDir, masterKey } = await verifiedBundle(ctx, file);
        const tenant = bundle.header.tenant;
        await ctx.authorizeWithoutRuntime(tenant, "restore").catch((err: unknown) => {
          masterKey.fill(0);
          throw err;
        });
        const used = new Set(bundle.secrets.flatMap((s) => s.versions.map((v) => v.keyVersion)));
        let keyring: string;
        let actions: RestoreAction[] = [];
        try {
          if (opts.tenant !== undefined && parseTenantId(opts.tenant) !== tenant)
            throw new InvalidInputError(`the bundle holds tenant ${tenant}, not ${opts.tenant} (ciphertexts are bound to their tenant)`);
          if (opts.dryRun) {
            keyring = await planKeyring(dataDir, bundle.header.keyring, used);
            const provider = await primaryFromConfig(ctx, dataDir, tenant);
            try {
              actions = await planRestore(bundle, provider);
            } finally {
              await provider.close();
            }
          } else {
            keyring = await applyKeyring(dataDir, masterKey, bundle.header.keyring, used);
          }
        } finally {
          masterKey.fill(0);
        }
        if (!opts.dryRun) {
          const rt = await ctx.runtime();
          const manager = rt.manager(tenant);
          actions = await planRestore(bundle, manager.primary);
          const bar = progressBar(ctx, `restore ${tenant}`);
          try {
            await applyRestore({ bundle, actions, manager, keyring: rt.keyring, onProgress: (d, t) => bar.update(d, t) });
          } finally {
            bar.stop();
          }
        }
        const h = bundle.header;
        await recordDrill(dataDir, {
          tenant,
          at: new Date().toISOString(),
          kind: opts.dryRun ? "dry-run" : "restore",
          bundleCreatedAt: h.createdAt,
          secrets: h.secrets,
          versions: h.versions,
        });
        const summary = summarize(actions);
        ctx.out.result(
          { tenant, dryRun: Boolean(opts.dryRun), bundle: { createdAt: h.createdAt, secrets: h.secrets, versions: h.versions }, keyring, actions, summary },
          () => [
            ...table(
              ["NAME", "ACTION", "VERSIONS", "REASON"],
              actions.map((a) => [a.name, a.action, a.versions, a.reason]),
            ),
            `${opts.dryRun ? "dry run (nothing written): would " : ""}create ${summary.create}, append ${summary.append}, overwrite ${summary.overwrite}, skip ${summary.skip}; ${summary.conflict} conflict(s); keyring: ${keyring}`,
          ],
        );
        return !opts.dryRun && summary.conflict > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );
}
