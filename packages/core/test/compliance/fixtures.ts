/**
 * The compliance suites' shared fixture: a tenant configured the way the docs recommend (an access policy
 * with separated duties and a break-glass admin, a verified audit log kept a year, a recent restore
 * drill, an owner-only data directory, residency limited to local and eu-*), over the in-memory provider.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AccessPolicy, type AuditFacts, type ComplianceInput, RotationPolicies } from "../../src/index.js";
import { setup } from "../rotation/support.js";

export const ACCESS: AccessPolicy = {
  principals: {
    alice: { roles: [{ role: "key-admin", tenants: ["*"] }] },
    bob: { roles: [{ role: "reader", tenants: ["acme"], secrets: ["db/*"] }] },
    carol: { roles: [{ role: "auditor", tenants: ["*"] }] },
    root: { roles: [{ role: "admin", tenants: ["*"] }], breakGlass: true },
  },
};

export const okAudit: AuditFacts = { verify: async () => ({ ok: true, records: 120 }), retentionDays: 365, oldestRecordAt: new Date("2030-01-01T00:00:00Z") };

/** A data directory only its owner can use, with the usual entries. */
export function privateDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pv-compliance-"));
  mkdirSync(join(dir, "keys"), { mode: 0o700 });
  mkdirSync(join(dir, "store"), { mode: 0o700 });
  writeFileSync(join(dir, "audit.log"), "", { mode: 0o600 });
  return dir;
}

/** A fresh tenant holding `secrets` (name → value), configured the way the docs recommend. */
export async function wellConfigured(secrets: Readonly<Record<string, string>>) {
  const s = await setup();
  for (const [name, value] of Object.entries(secrets)) await s.manager.set(name, value);
  const count = Object.keys(secrets).length;
  const input: ComplianceInput = {
    tenant: s.tenant,
    stores: [{ provider: s.provider, role: "primary", encryption: "envelope", location: "local" }],
    keyring: s.keyring,
    policies: new RotationPolicies(),
    access: ACCESS,
    audit: okAudit,
    drills: [{ tenant: "acme", at: new Date().toISOString(), kind: "dry-run", bundleCreatedAt: new Date().toISOString(), secrets: count, versions: count }],
    settings: { allowedRegions: ["local", "eu-*"] },
    dataDir: privateDataDir(),
  };
  return { ...s, input };
}
