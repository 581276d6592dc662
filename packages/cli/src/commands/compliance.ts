import type { Command } from "commander";
import { parseStandard } from "@polyvault/core";
import { complianceCheck } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** `polyvault compliance check`: argument parsing and output; the operation (authorize → audit → run) is the runtime's. */
export function registerCompliance(program: Command, run: Runner): void {
  const compliance = program.command("compliance").description("check a tenant against GDPR, SOC 2 or HIPAA controls, from real state");

  compliance
    .command("check")
    .description("evaluate each control of the standard with evidence; exit 1 when any fails")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--standard <standard>", "gdpr, soc2, hipaa, iso27001 or nist-csf")
    .action(
      run(async (ctx, opts: { tenant: string; standard: string }) => {
        const standard = parseStandard(opts.standard);
        const report = await complianceCheck(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant, standard });
        const tenant = report.tenant;
        const failed = report.controls.filter((c) => !c.pass).length;
        ctx.out.result(report, () => [
          `${standard.toUpperCase()} check of tenant ${tenant}: ${report.pass ? "PASS" : `FAIL (${failed} of ${report.controls.length} controls)`}`,
          ...table(
            ["CONTROL", "RESULT", "CLAUSE", "EVIDENCE"],
            report.controls.map((c) => [c.id, c.pass ? "pass" : "FAIL", c.reference, c.evidence]),
          ),
        ]);
        return report.pass ? EXIT.OK : EXIT.CHECK_FAILED;
      }),
    );
}
