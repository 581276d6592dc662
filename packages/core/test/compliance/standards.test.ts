// ISO/IEC 27001:2022 Annex A and NIST CSF 2.0 (issue 13 item 6): the same controls as GDPR, SOC 2 and
// HIPAA, mapped to their clauses. A well-configured tenant passes both; each control, broken, fails
// both standards (and the report), with no value in it.
import { chmodSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ComplianceInput, RotationPolicies, type Standard, checkCompliance, controlsFor } from "../../src/index.js";
import { DAY, memoryProvider } from "../rotation/support.js";
import { ACCESS, wellConfigured as baseline } from "./fixtures.js";

const CANARY = "CANARY-standards-91d0";
const NEW: readonly Standard[] = ["iso27001", "nist-csf"];
const wellConfigured = () => baseline({ "db/url": CANARY });

type Fixture = Awaited<ReturnType<typeof wellConfigured>>;

/** One way to break each control (the same breaks compliance.test.ts checks in detail). */
const BREAK: Record<string, (f: Fixture) => ComplianceInput | Promise<ComplianceInput>> = {
  "encryption-at-rest": (f) => {
    f.provider.tamper("acme", "db/url", Buffer.from(CANARY));
    return f.input;
  },
  "data-dir-permissions": (f) => {
    chmodSync(f.input.dataDir as string, 0o777);
    return f.input;
  },
  "key-age": (f) => ({ ...f.input, settings: { ...f.input.settings, maxKeyAgeDays: 30 }, now: new Date(Date.now() + 31 * DAY) }),
  "key-usage": (f) => ({ ...f.input, settings: { ...f.input.settings, maxKeyUses: 0 } }),
  "rotation-age": (f) => ({
    ...f.input,
    policies: new RotationPolicies({ policies: [{ secrets: "db/*", intervalDays: 10 }] }),
    now: new Date(Date.now() + 11 * DAY),
  }),
  "audit-chain": (f) => ({
    ...f.input,
    audit: { ...(f.input.audit as NonNullable<ComplianceInput["audit"]>), verify: async () => ({ ok: false, firstBad: 3, reason: "hash mismatch" }) },
  }),
  "audit-retention": (f) => ({ ...f.input, audit: { ...(f.input.audit as NonNullable<ComplianceInput["audit"]>), retentionDays: 30 } }),
  "least-privilege": (f) => ({ ...f.input, access: { principals: { ...ACCESS.principals, ops: { roles: [{ role: "admin", tenants: ["*"] }] } } } }),
  "separation-of-duties": (f) => ({ ...f.input, access: undefined }),
  "data-residency": (f) => ({
    ...f.input,
    stores: [...f.input.stores, { provider: memoryProvider("aws", "aws"), role: "mirror", encryption: "envelope", location: "us-east-1" }],
  }),
  "backup-drill": (f) => ({ ...f.input, drills: [] }),
};

describe("compliance check: ISO/IEC 27001:2022 and NIST CSF 2.0", () => {
  it.each(NEW)("a well-configured tenant passes %s, every control naming its clause", async (standard) => {
    const { input } = await wellConfigured();
    const report = await checkCompliance(input, standard);
    expect(report.controls.filter((c) => !c.pass)).toEqual([]);
    expect(report).toMatchObject({ standard, tenant: "acme", pass: true });
    expect(report.controls.map((c) => c.id)).toEqual(Object.keys(BREAK));
    for (const c of report.controls) expect(c.reference, c.id).toMatch(standard === "iso27001" ? /^A\.\d+\.\d+/ : /^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d\d/);
    expect(JSON.stringify(report)).not.toContain(CANARY);
  });

  for (const standard of NEW) {
    for (const id of Object.keys(BREAK)) {
      it(`${standard}: ${id}, broken, fails the control and the report`, async () => {
        expect(controlsFor(standard).map((c) => c.id)).toContain(id);
        const f = await wellConfigured();
        const report = await checkCompliance(await (BREAK[id] as (f: Fixture) => ComplianceInput)(f), standard);
        const c = report.controls.find((x) => x.id === id);
        expect(c?.pass, `${id}: ${c?.evidence}`).toBe(false);
        expect(report.pass).toBe(false);
        expect(JSON.stringify(report)).not.toContain(CANARY);
      });
    }
  }
});
