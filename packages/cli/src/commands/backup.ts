import type { Command } from "commander";
import { InvalidInputError, NotFoundError, checkBundleSelfSigned, listBundles, readBundleFile } from "@polyvault/core";
import { type DrillReport, backupCreate, backupDrill, backupRestore, backupVerify, backupsDir } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** `polyvault backup …`: argument parsing and output; the operations (authorize → audit → run) are the runtime's. */
export function registerBackup(program: Command, run: Runner): void {
  const backup = program.command("backup").description("signed, ciphertext-only backups of a tenant; restore with a dry run first");

  backup
    .command("create")
    .description("write one tenant's secrets (every version, still encrypted) to a signed bundle")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--out <file>", "bundle file to write (mode 0600; replaced atomically)")
    .action(
      run(async (ctx, opts: { tenant: string; out: string }) => {
        const s = await backupCreate(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant, out: opts.out });
        ctx.out.result(s, () => [
          `${opts.out}: ${s.secrets} secret(s), ${s.versions} version(s) of tenant ${s.tenant} from ${s.provider}, signed (${s.bytes} bytes)`,
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
        // --offline uses only the bundle: no installation, no key, nothing to authorize or audit.
        const h = opts.offline ? checkBundleSelfSigned(await readBundleFile(file)).header : await backupVerify(file, ctx.installation());
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
        const r = await backupRestore(file, { ...ctx.installation(), tenant: opts.tenant, dryRun: opts.dryRun, openRuntime: () => ctx.runtime() });
        const { summary, actions } = r;
        ctx.out.result(r, () => [
          ...table(
            ["NAME", "ACTION", "VERSIONS", "REASON"],
            actions.map((a) => [a.name, a.action, a.versions, a.reason]),
          ),
          `${r.dryRun ? "dry run (nothing written): would " : ""}create ${summary.create}, append ${summary.append}, overwrite ${summary.overwrite}, skip ${summary.skip}; ${summary.conflict} conflict(s); keyring: ${r.keyring}`,
        ]);
        return !r.dryRun && summary.conflict > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  backup
    .command("list")
    .description("the bundles of scheduled backups (backups.dir, or --dir), newest first per tenant")
    .option("--dir <dir>", "the backup directory (default: backups.dir from the configuration)")
    .option("--tenant <tenant>", "only this tenant")
    .action(
      run(async (ctx, opts: { dir?: string; tenant?: string }) => {
        const dir = opts.dir ?? backupsDir(await ctx.runtime());
        if (dir === undefined) throw new InvalidInputError("no backups.dir in the configuration: pass --dir");
        const bundles = await listBundles(dir, opts.tenant);
        ctx.out.result({ dir, bundles: bundles.map((b) => ({ ...b, createdAt: b.createdAt.toISOString() })) }, () =>
          bundles.length
            ? table(
                ["TENANT", "CREATED", "BYTES", "FILE"],
                bundles.map((b) => [b.tenant, b.createdAt.toISOString(), b.bytes, b.file]),
              )
            : `no bundle in ${dir}`,
        );
        return EXIT.OK;
      }),
    );

  backup
    .command("drill")
    .description("restore the newest bundle (of a tenant, or of each) into a scratch data directory, read every version back and compare digests")
    .option("--tenant <tenant>", "only this tenant (required with --file)")
    .option("--file <file>", "drill this bundle instead of the newest")
    .option("--dir <dir>", "the backup directory (default: backups.dir from the configuration)")
    .option("--keep", "keep the scratch data directory and print its path")
    .action(
      run(async (ctx, opts: { tenant?: string; file?: string; dir?: string; keep?: boolean }) => {
        if (opts.file !== undefined && opts.tenant === undefined) throw new InvalidInputError("--file needs --tenant (the tenant the bundle must belong to)");
        const rt = await ctx.runtime();
        const dir = opts.dir ?? backupsDir(rt);
        let tenants: string[];
        if (opts.tenant !== undefined) tenants = [opts.tenant];
        else if (dir === undefined) throw new InvalidInputError("no backups.dir in the configuration: pass --dir, or --tenant and --file");
        else tenants = [...new Set((await listBundles(dir)).map((b) => b.tenant))];
        if (tenants.length === 0) throw new NotFoundError(`no bundle in ${dir}`);
        const drills: DrillReport[] = [];
        for (const tenant of tenants) drills.push(await backupDrill(rt, { ...ctx.ops(), tenant, file: opts.file, dir, keep: opts.keep }));
        ctx.out.result({ drills }, () => [
          ...table(
            ["TENANT", "BUNDLE", "SECRETS", "VERSIONS READ BACK", "LIVE: SAME", "CHANGED SINCE", "GONE SINCE"],
            drills.map((d) => [d.tenant, d.bundleCreatedAt, d.secrets, d.versionsVerified, d.live.same, d.live.changedSince, d.live.goneSince]),
          ),
          ...drills.filter((d) => d.scratchDir).map((d) => `scratch data directory kept: ${d.scratchDir}`),
          `restore drill passed: every version of ${drills.length} bundle(s) restored and read back with matching digests`,
        ]);
        return EXIT.OK;
      }),
    );
}
