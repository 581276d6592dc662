import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  AUDIT_DEFAULTS,
  AUDIT_FILES,
  type AuditFacts,
  type ComplianceStore,
  PendingRotations,
  RotationPolicies,
  type TenantId,
  checkCompliance,
  parseStandard,
  readDrills,
  verifyAuditLog,
} from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** Every place the tenant's data is kept: primary, mirrors, and the sources and targets of its routes. */
function storesOf(rt: Runtime, tenant: TenantId): ComplianceStore[] {
  const out: ComplianceStore[] = [];
  const add = (name: string, role: ComplianceStore["role"], encryption: ComplianceStore["encryption"], route?: string, waiver?: string) => {
    if (out.some((s) => s.provider.name === name && s.encryption === encryption)) return;
    out.push({ provider: rt.provider(name), role, encryption, route, waiver, location: rt.location(name) });
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

/** The audit log's facts, from the signed log in the data directory. */
function auditFacts(rt: Runtime): AuditFacts {
  return {
    retentionDays: rt.config.audit?.retentionDays ?? AUDIT_DEFAULTS.retentionDays,
    oldestRecordAt: firstRecordTime(join(rt.dataDir, AUDIT_FILES.log)),
    async verify() {
      // This process is itself appending: its own records are sealed by the checkpoint at exit.
      const r = verifyAuditLog(rt.dataDir, { allowUnsignedTail: true });
      return r.ok ? { ok: true, records: r.records } : { ok: false, records: r.records, firstBad: r.firstBad.seq ?? r.firstBad.line, reason: r.problem };
    },
  };
}

function firstRecordTime(logPath: string): Date | undefined {
  let text: string;
  try {
    text = readFileSync(logPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const time = (JSON.parse(line) as { time?: string }).time;
    if (time) return new Date(time);
  }
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
        await ctx.authorize(tenant, "compliance");
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
        return report.pass ? EXIT.OK : EXIT.CHECK_FAILED;
      }),
    );
}
