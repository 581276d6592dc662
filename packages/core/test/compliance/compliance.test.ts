import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ComplianceInput, InvalidInputError, RotationPolicies, type Standard, checkCompliance, parseStandard } from "../../src/index.js";
import { DAY, caught, memoryProvider } from "../rotation/support.js";
import { ACCESS, okAudit, wellConfigured as baseline } from "./fixtures.js";

const CANARY = "CANARY-compliance-3b8e";
/** A fresh tenant configured the way the docs recommend (fixtures.ts), with two secrets. */
const wellConfigured = () => baseline({ "db/url": CANARY, "api/key": `${CANARY}-2` });

async function control(input: ComplianceInput, id: string, standard: Standard = "gdpr") {
  const report = await checkCompliance(input, standard);
  expect(JSON.stringify(report)).not.toContain(CANARY);
  const c = report.controls.find((x) => x.id === id);
  if (!c) throw new Error(`no control ${id} in ${standard}`);
  return { ...c, overall: report.pass };
}

describe("compliance check", () => {
  it.each(["gdpr", "soc2", "hipaa"] as const)("a fresh, well-configured tenant passes %s", async (standard) => {
    const { input } = await wellConfigured();
    const report = await checkCompliance(input, standard);
    expect(report.controls.filter((c) => !c.pass)).toEqual([]);
    expect(report).toMatchObject({ standard, tenant: "acme", pass: true });
    expect(report.controls.map((c) => c.id)).toEqual([
      "encryption-at-rest",
      "data-dir-permissions",
      "key-age",
      "key-usage",
      "rotation-age",
      "audit-chain",
      "audit-retention",
      "least-privilege",
      "separation-of-duties",
      ...(standard === "gdpr" ? ["data-residency"] : []),
      "backup-drill",
    ]);
    expect(JSON.stringify(report)).not.toContain(CANARY);
  });

  it("refuses an unknown standard", async () => {
    const err = await caught(() => parseStandard("pci-dss"));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('unknown standard "pci-dss": use one of gdpr, soc2, hipaa, iso27001, nist-csf');
    expect(parseStandard("SOC2")).toBe("soc2");
  });

  describe("encryption-at-rest", () => {
    it("fails when a stored current version is not a Polyvault envelope", async () => {
      const { input, provider } = await wellConfigured();
      provider.tamper("acme", "db/url", Buffer.from(CANARY));
      const c = await control(input, "encryption-at-rest");
      expect([c.pass, c.overall]).toEqual([false, false]);
      expect(c.evidence).toBe("mem (primary): 1 not encrypted by Polyvault: db/url");
    });

    it("fails on secrets in the tenant's namespace that Polyvault does not manage", async () => {
      const { input, provider } = await wellConfigured();
      provider.plantUnmanaged("acme", "legacy", Buffer.from(CANARY));
      expect((await control(input, "encryption-at-rest")).evidence).toBe("mem (primary): 1 not managed by Polyvault (adopt them): legacy");
    });

    it("fails on a native route target without a waiver, passes with one, and never reads the native store", async () => {
      const { input } = await wellConfigured();
      const native = memoryProvider("vault", "vault");
      native.failing.add("get").add("list");
      const store = { provider: native, role: "target", encryption: "native", route: "mirror", location: "local" } as const;
      const bad = await control({ ...input, stores: [...input.stores, store] }, "encryption-at-rest");
      expect(bad.pass).toBe(false);
      expect(bad.evidence).toContain("vault (target of route mirror) stores values natively (encryption: native) and the route has no nativeWaiver");
      const waived = await control({ ...input, stores: [...input.stores, { ...store, waiver: "app reads Vault directly (CHG-1042)" }] }, "encryption-at-rest");
      expect(waived.pass).toBe(true);
      expect(waived.evidence).toContain("vault (target of route mirror) stores values natively (waived: app reads Vault directly (CHG-1042))");
    });

    it("fails closed when a store cannot be read", async () => {
      const { input, provider } = await wellConfigured();
      provider.failing.add("list");
      const c = await control(input, "encryption-at-rest");
      expect(c.pass).toBe(false);
      expect(c.evidence).toBe("mem (primary): could not be checked (UNAVAILABLE: provider mem is down (list))");
    });
  });

  it("key-age fails when the current key version is older than allowed", async () => {
    const { input } = await wellConfigured();
    expect((await control(input, "key-age")).pass).toBe(true);
    const c = await control({ ...input, settings: { ...input.settings, maxKeyAgeDays: 30 }, now: new Date(Date.now() + 31 * DAY) }, "key-age");
    expect(c.pass).toBe(false);
    expect(c.evidence).toMatch(/^current key version 1 created .*, 31 day\(s\) ago \(limit 30\); run `polyvault keys rotate` then `keys rewrap`$/);
  });

  it("key-usage fails over the use limit and when data sits under a retired key", async () => {
    const { input, keyring, manager } = await wellConfigured();
    const over = await control({ ...input, settings: { maxKeyUses: 1, allowedRegions: ["local"] } }, "key-usage");
    expect(over.pass).toBe(false);
    expect(over.evidence).toBe("key version 1 protects 2 versions (limit 1); rotate keys and rewrap");
    await keyring.rotate();
    await manager.set("db/url", "new");
    await keyring.retire(1);
    const retired = await control(input, "key-usage");
    expect(retired.pass).toBe(false);
    expect(retired.evidence).toBe("2 version(s) under key version 1, which is retired or unknown (unreadable)");
  });

  it("rotation-age fails when a secret is past its rotation deadline", async () => {
    const { input } = await wellConfigured();
    const c = await control(
      { ...input, policies: new RotationPolicies({ policies: [{ secrets: "db/*", intervalDays: 10 }] }), now: new Date(Date.now() + 11 * DAY) },
      "rotation-age",
    );
    expect(c.pass).toBe(false);
    expect(c.evidence).toBe("1 of 2 secret(s) past their rotation deadline (default interval 90 days): db/url; run `polyvault rotation run`");
  });

  it("audit-chain fails when the chain does not verify or there is no audit log", async () => {
    const { input } = await wellConfigured();
    const broken = await control(
      { ...input, audit: { ...okAudit, verify: async () => ({ ok: false, firstBad: 17, reason: "hash mismatch" }) } },
      "audit-chain",
    );
    expect([broken.pass, broken.evidence]).toEqual([false, "audit log does not verify: first bad record 17 (hash mismatch)"]);
    const none = await control({ ...input, audit: undefined }, "audit-chain");
    expect([none.pass, none.evidence]).toEqual([false, "no audit log is available to this check (audit is not configured)"]);
  });

  it("audit-retention fails when records are kept less long than policy requires", async () => {
    const { input } = await wellConfigured();
    const c = await control(
      { ...input, audit: { ...okAudit, retentionDays: 90 }, settings: { ...input.settings, auditRetentionDays: 180 } },
      "audit-retention",
      "hipaa",
    );
    expect([c.pass, c.evidence]).toEqual([false, "records kept 90 day(s), policy requires at least 180; oldest record 2030-01-01T00:00:00.000Z"]);
  });

  it("least-privilege fails on a wildcard admin that is not break-glass, and without access control", async () => {
    const { input } = await wellConfigured();
    const access = { principals: { ...ACCESS.principals, ops: { roles: [{ role: "admin" as const, tenants: ["*"] }] } } };
    const c = await control({ ...input, access }, "least-privilege", "soc2");
    expect([c.pass, c.evidence]).toEqual([false, 'admin over every tenant ("*") held by principal(s) that are not break-glass: ops']);
    const off = await control({ ...input, access: undefined }, "least-privilege");
    expect([off.pass, off.evidence]).toEqual([false, "access control is off (no `access` in the configuration): the local operator is admin of every tenant"]);
  });

  it("separation-of-duties fails on a principal who administers keys and reads values in the tenant", async () => {
    const { input } = await wellConfigured();
    const elsewhere = {
      principals: {
        ...ACCESS.principals,
        dave: {
          roles: [
            { role: "admin" as const, tenants: ["globex"] },
            { role: "reader" as const, tenants: ["acme"] },
          ],
        },
      },
    };
    expect((await control({ ...input, access: elsewhere }, "separation-of-duties")).pass).toBe(true);
    const both = {
      principals: {
        ...ACCESS.principals,
        dave: {
          roles: [
            { role: "admin" as const, tenants: ["acme"] },
            { role: "writer" as const, tenants: ["*"] },
          ],
        },
      },
    };
    const c = await control({ ...input, access: both }, "separation-of-duties", "hipaa");
    expect([c.pass, c.evidence]).toEqual([
      false,
      "principal(s) both key administrator (keys, rewrap) and reader of values (read) in acme: dave (admin, writer)",
    ]);
  });

  it("data-residency fails on a store outside the allowlist, or without an allowlist (GDPR only)", async () => {
    const { input } = await wellConfigured();
    const us = {
      provider: memoryProvider("aws", "aws"),
      role: "mirror",
      encryption: "envelope",
      location: "us-east-1",
    } as const;
    const c = await control({ ...input, stores: [...input.stores, us] }, "data-residency");
    expect([c.pass, c.evidence]).toEqual([false, "outside the allowlist (local, eu-*): aws in us-east-1"]);
    const none = await control({ ...input, settings: {} }, "data-residency");
    expect(none.pass).toBe(false);
    expect((await checkCompliance({ ...input, settings: {} }, "soc2")).pass).toBe(true);
  });

  it("data-dir-permissions fails when the data directory, an entry in it, or keys/ is open to others (issue 15.1)", async () => {
    const { input } = await wellConfigured();
    const dir = input.dataDir as string;
    for (const [path, mode, expected] of [
      [dir, 0o777, `${dir} is writable by group or others (mode 0777)`],
      [dir, 0o770, `${dir} is writable by group or others (mode 0770)`],
      [join(dir, "store"), 0o757, `${join(dir, "store")} is writable by group or others (mode 0757)`],
      [join(dir, "audit.log"), 0o622, `${join(dir, "audit.log")} is writable by group or others (mode 0622)`],
      [join(dir, "keys"), 0o750, `${join(dir, "keys")} is accessible to group or others (mode 0750)`],
    ] as const) {
      const before = (await control(input, "data-dir-permissions", "soc2")).pass;
      chmodSync(path, mode);
      const c = await control(input, "data-dir-permissions", "soc2");
      chmodSync(path, path === dir || path.endsWith("keys") || path.endsWith("store") ? 0o700 : 0o600);
      expect([before, c.pass, c.overall]).toEqual([true, false, false]);
      expect(c.evidence).toContain(expected);
    }
    // A directory readable by others but not writable is not this control's business (keys/ aside).
    chmodSync(dir, 0o755);
    expect((await control(input, "data-dir-permissions")).pass).toBe(true);
    const none = await control({ ...input, dataDir: undefined }, "data-dir-permissions");
    expect([none.pass, none.evidence]).toEqual([false, "no data directory was given to this check"]);
  });

  it("backup-drill fails when the last drill is too old or there is none", async () => {
    const { input } = await wellConfigured();
    const old = new Date(Date.now() - 100 * DAY).toISOString();
    const c = await control({ ...input, drills: [{ ...input.drills[0], at: old } as (typeof input.drills)[number]] }, "backup-drill");
    expect(c.pass).toBe(false);
    expect(c.evidence).toMatch(/100 day\(s\) ago; required within 90 days$/);
    const none = await control({ ...input, drills: [] }, "backup-drill");
    expect(none.evidence).toBe("no restore drill recorded for this tenant (run `polyvault backup restore FILE --dry-run`; required every 90 days)");
  });

  it("a control that throws fails with the reason instead of stopping the check", async () => {
    const { input } = await wellConfigured();
    const c = await control(
      { ...input, audit: { ...okAudit, verify: async () => Promise.reject(new InvalidInputError("audit log unreadable")) } },
      "audit-chain",
    );
    expect([c.pass, c.evidence]).toEqual([false, "could not be evaluated (INVALID_INPUT: audit log unreadable)"]);
  });
});
