import type { Command } from "commander";
import { EXIT_CODES } from "@polyvault/core";
import { copyUnavailable, migrateTenant } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";

/** `polyvault migrate`: argument parsing and output; the operation (authorize → audit → run) is the runtime's. */
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
        const r = await migrateTenant(await ctx.runtime(), {
          ...ctx.ops(),
          ...opts,
          onPreflight: (pre) => ctx.out.note(`preflight: ${pre.secrets} secret(s) fit ${opts.to}`),
        });
        const { stage, tenant, ...rest } = r;
        const report = { tenant, ...rest };
        const pre = r.preflight;
        if (stage === "preflight-failed" && pre) {
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
          return EXIT_CODES.CHECK_FAILED;
        }
        if (stage === "preflight-only") {
          ctx.out.result(report, () => `preflight passed for ${pre?.secrets} secret(s); nothing written (--preflight-only)`);
          return 0;
        }
        const copied = r.copy;
        if (stage === "copy-incomplete" && copied) {
          ctx.out.result(report, () => [
            `copy incomplete: ${copied.failures.length} failed, ${copied.counts.conflictsLeft} in conflict; rerun to resume`,
            ...copied.failures.map((f) => `  ${f.name}: ${f.code}: ${f.message}`),
          ]);
          return copyUnavailable(r) ? 5 : 1;
        }
        const checked = r.verify;
        if (stage === "verify-failed" && checked) {
          ctx.out.result(report, () => [
            `verify: ${checked.mismatches.length} of ${checked.checked} secret(s) differ:`,
            ...checked.mismatches.map((m) => `  ${m.name}: ${m.detail}`),
          ]);
          ctx.out.note(`polyvault: INTEGRITY: migration verify failed for ${checked.mismatches.length} secret(s); no cutover`);
          return EXIT_CODES.INTEGRITY;
        }
        const c = copied?.counts;
        ctx.out.result(report, () => [
          `copied ${c ? c.created + c.updated + c.repaired : 0} secret(s) of ${tenant} to ${opts.to} (${c?.stateRecorded ?? 0} already there)`,
          ...(r.verify ? [`verified ${r.verify.checked} secret(s): all equal`] : []),
          ...(r.cutover
            ? [
                `cutover: ${opts.to} is now the primary of ${tenant}, ${opts.from} a mirror (previous configuration kept as ${r.cutover.backup})`,
                ...r.cutover.routes.map((x) => `  route ${x.route}: ${x.change}`),
              ]
            : []),
        ]);
        return 0;
      }),
    );
}
