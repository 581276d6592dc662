import type { Command } from "commander";
import {
  type AuditFacts,
  type ComplianceStore,
  PendingRotations,
  RotationPolicies,
  type TenantId,
  checkCompliance,
  parseStandard,
  providerLocation,
  readDrills,
} from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";

/** Every place the tenant's data is kept: primary, mirrors, and the sources and targets of its routes. */
function storesOf(rt: Runtime, tenant: TenantId): ComplianceStore[] {
  const out: ComplianceStore[] = [];
  const add = (name: string, role: ComplianceStore["role"], encryption: ComplianceStore["encryption"], route?: string, waiver?: string) => {
    if (out.some((s) => s.provider.name === name && s.encryption === encryption)) return;
    const pc = rt.config.providers?.[name];
    out.push({ provider: rt.provider(name), role, encryption, route, waiver, location: pc ? providerLocation(pc) : "unknown" });
  };
  const { primary, mirrors } = rt.placement(tenant);
  add(primary.name, "primary", "envelope");
  for (const m of mirrors) add(m.name, "mirror", "envelope");
  for (const [route, rc] of Object.entries(rt.config.routes ?? {})) {
    if (rc.tenants !== "*" && !rc.tenants.includes(tenant)) continue;
    add(rc.source, "source", "envelope", route);
    for (const t of rc.targets) {
      if (typeof t === "string") add(t, "target", "envelope", route);
      else add(t.provider, "target", t.encryption ?? "envelope", route, rc.nativeWaiver);
    }
  }
  return out;
}

/** The audit log's facts. Wired by the runtime once the signed audit log is in place; until then the audit controls fail. */
function auditFacts(_rt: Runtime): AuditFacts | undefined {
  return undefined;
}

export function registerCompliance(program: Command, run: Runner): void {
  const compliance = program.command("compliance").description("check a tenant against GDPR, SOC 2 or HIPAA controls, from real state");

  compliance
    .command("check")
    .description("evaluate each control of the standard with evidence; exit 1 when any fails")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--standard <standard>", "gdpr, soc2 or hipaa")
    .action(
      run(async (ctx, opts: { tenant: string; standard: string }) => {
        const standard = parseStandard(opts.standard);
        const rt = await ctx.runtime();
        const tenant = rt.manager(opts.tenant).tenant;
        const report = await checkCompliance(
          {
            tenant,
            stores: storesOf(rt, tenant),
            keyring: rt.keyring,
            policies: new RotationPolicies(rt.config.rotation),
            pending: await new PendingRotations(rt.dataDir).list(),
            access: rt.config.access,
            audit: auditFacts(rt),
            drills: await readDrills(rt.dataDir),
            settings: rt.config.compliance,
          },
          standard,
        );
        const failed = report.controls.filter((c) => !c.pass).length;
        ctx.out.result(report, () => [
          `${standard.toUpperCase()} check of tenant ${tenant}: ${report.pass ? "PASS" : `FAIL (${failed} of ${report.controls.length} controls)`}`,
          ...table(
            ["CONTROL", "RESULT", "CLAUSE", "EVIDENCE"],
            report.controls.map((c) => [c.id, c.pass ? "pass" : "FAIL", c.reference, c.evidence]),
          ),
        ]);
        return report.pass ? 0 : 1;
      }),
    );
}
