/**
 * `compliance check` as an operation (permission `compliance` on the tenant): evaluates a standard's
 * controls from real state (stores, keyring, rotation, access, the audit log, restore drills). Audited
 * as compliance.check, with the result (pass, failed controls) in its outcome record.
 */
import {
  AUDIT_DEFAULTS,
  type AuditFacts,
  type ComplianceReport,
  type ComplianceStore,
  PendingRotations,
  RotationPolicies,
  type TenantId,
  checkCompliance,
  oldestEntryTime,
  parseStandard,
  readDrills,
  verifyAuditLog,
} from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation } from "./operation.js";

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
    oldestRecordAt: oldestEntryTime(rt.dataDir),
    async verify() {
      // This process is itself appending: its own records are sealed by the checkpoint at exit.
      const r = verifyAuditLog(rt.dataDir, { allowUnsignedTail: true });
      const records = r.records + (r.segments ?? []).reduce((n, g) => n + g.records, 0); // with the workers' segments
      return r.ok ? { ok: true, records } : { ok: false, records, firstBad: r.firstBad.seq ?? r.firstBad.line, reason: r.problem };
    },
  };
}

export interface ComplianceOptions extends OperationOptions {
  readonly tenant: string;
  /** gdpr, soc2, hipaa, iso27001 or nist-csf. */
  readonly standard: string;
}

export async function complianceCheck(rt: Runtime, options: ComplianceOptions): Promise<ComplianceReport> {
  const standard = parseStandard(options.standard);
  const tenant = rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "compliance.check", permission: "compliance", tenant, changes: false },
    async () =>
      checkCompliance(
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
          dataDir: rt.dataDir,
        },
        standard,
      ),
    (r) => ({ detail: detailOf({ standard, pass: r.pass, controls: r.controls.length, failed: r.controls.filter((c) => !c.pass).length }) }),
  );
}
