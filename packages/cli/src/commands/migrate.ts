import type { Command } from "commander";
import { InvalidInputError } from "@polyvault/core";
import { rewriteTenantPlacement } from "@polyvault/runtime";
import { copy, preflight, verify } from "@polyvault/sync";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { progressBar } from "../progress.js";
import { EXIT } from "../exit-codes.js";

export function registerMigrate(program: Command, run: Runner): void {
  program
    .command("migrate")
    .description("move a tenant from one provider to another: preflight, copy, verify, cutover (resumable)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--from <provider>", "the provider the tenant's secrets are in now")
    .requiredOption("--to <provider>", "the provider to move them to")
    .option("--verify", "read every secret back from the new provider and compare it with the old")
    .option("--cutover", "after a clean verify, make the new provider the primary and the old one a mirror (rewrites the configuration file)")
    .option("--preflight-only", "only check; write nothing")
    .action(
      run(async (ctx, opts: { tenant: string; from: string; to: string; verify?: boolean; cutover?: boolean; preflightOnly?: boolean }) => {
        const rt = await ctx.runtime();
        const tenant = rt.manager(opts.tenant).tenant;
        await ctx.authorize(tenant, "sync");
        if (opts.from === opts.to) throw new InvalidInputError("--from and --to name the same provider");
        if (opts.cutover && !rt.loaded.path)
          throw new InvalidInputError("--cutover rewrites the configuration file, but this run uses the embedded default; pass --config FILE");
        const input = { tenant, from: rt.provider(opts.from), to: rt.provider(opts.to), state: await rt.state(), keyring: rt.keyring };
        const report: Record<string, unknown> = { tenant, from: opts.from, to: opts.to };

        const pre = await preflight(input);
        report.preflight = pre;
        if (pre.problems.length) {
          ctx.out.result(report, () => [
            `preflight found ${pre.problems.length} problem(s) in ${pre.secrets} secret(s); nothing was written:`,
            ...table(
              ["NAME", "PROBLEM", "DETAIL"],
              pre.problems.map((p) => [p.name, p.problem, p.detail]),
            ),
          ]);
          ctx.out.note(
            `polyvault: CHECK_FAILED: migration of ${tenant} from ${opts.from} to ${opts.to} refused by preflight; fix the problems above and rerun`,
          );
          return EXIT.CHECK_FAILED;
        }
        ctx.out.note(`preflight: ${pre.secrets} secret(s) fit ${opts.to}`);
        if (opts.preflightOnly) {
          ctx.out.result(report, () => `preflight passed for ${pre.secrets} secret(s); nothing written (--preflight-only)`);
          return EXIT.OK;
        }

        const bar = progressBar(ctx, `copy ${tenant}`);
        const copied = await copy(input, (d, t) => bar.update(d, t)).finally(() => bar.stop());
        report.copy = { counts: copied.counts, failures: copied.failures };
        if (copied.failures.length || copied.counts.conflictsLeft) {
          ctx.out.result(report, () => [
            `copy incomplete: ${copied.failures.length} failed, ${copied.counts.conflictsLeft} in conflict; rerun to resume`,
            ...copied.failures.map((f) => `  ${f.name}: ${f.code}: ${f.message}`),
          ]);
          return copied.failures.some((f) => f.code === "UNAVAILABLE" || f.code === "THROTTLED") ? EXIT.UNAVAILABLE : EXIT.CHECK_FAILED;
        }

        if (opts.verify || opts.cutover) {
          const vbar = progressBar(ctx, `verify ${tenant}`);
          const checked = await verify(input, (d, t) => vbar.update(d, t)).finally(() => vbar.stop());
          report.verify = checked;
          if (checked.mismatches.length) {
            ctx.out.result(report, () => [
              `verify: ${checked.mismatches.length} of ${checked.checked} secret(s) differ:`,
              ...checked.mismatches.map((m) => `  ${m.name}: ${m.detail}`),
            ]);
            ctx.out.note(`polyvault: INTEGRITY: migration verify failed for ${checked.mismatches.length} secret(s); no cutover`);
            return EXIT.INTEGRITY;
          }
        }

        if (opts.cutover) {
          const old = rt.config.tenants?.[tenant];
          const mirrors = [opts.from, ...(old?.mirrors ?? []).filter((m) => m !== opts.to && m !== opts.from)];
          const { backup } = rewriteTenantPlacement(rt.loaded.path as string, tenant, { primary: opts.to, mirrors }, ctx.io.env);
          report.cutover = { config: rt.loaded.path, backup, primary: opts.to, mirrors };
        }
        const c = copied.counts;
        ctx.out.result(report, () => [
          `copied ${c.created + c.updated + c.repaired} secret(s) of ${tenant} to ${opts.to} (${c.stateRecorded} already there)`,
          ...(report.verify ? [`verified ${(report.verify as { checked: number }).checked} secret(s): all equal`] : []),
          ...(report.cutover
            ? [
                `cutover: ${opts.to} is now the primary of ${tenant}, ${opts.from} a mirror (previous configuration kept as ${(report.cutover as { backup: string }).backup})`,
              ]
            : []),
        ]);
        return EXIT.OK;
      }),
    );
}
