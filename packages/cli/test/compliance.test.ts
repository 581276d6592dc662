import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const CANARY = "CANARY-cli-compliance-44d0";
const TOKEN = "alice-token-for-tests";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** The configuration docs/compliance.md recommends, with `extra` appended. */
function config(extra = "", allowed = '["local"]'): string {
  return [
    "providers: { local: { type: file }, archive: { type: file } }",
    "access:",
    "  principals:",
    `    alice: { tokenSha256: "${sha(TOKEN)}", roles: [{ role: key-admin, tenants: ["*"] }] }`,
    `    ci:    { tokenSha256: "${sha("ci")}", roles: [{ role: writer, tenants: [acme] }] }`,
    `    bob:   { tokenSha256: "${sha("bob")}", roles: [{ role: reader, tenants: [acme], secrets: ["db/*"] }] }`,
    `    root:  { tokenSha256: "${sha("root")}", roles: [{ role: admin, tenants: ["*"] }], breakGlass: true }`,
    `compliance: { allowedRegions: ${allowed}, backupDrillDays: 30 }`,
    extra,
  ].join("\n");
}

type Control = { id: string; title: string; pass: boolean; evidence: string; reference: string };

describe("compliance check", () => {
  const sb = sandbox();
  const env = { POLYVAULT_TOKEN: TOKEN };
  const check = (standard: string, extraEnv = {}) =>
    cli(sb, ["compliance", "check", "--tenant", "acme", "--standard", standard, "--json"], undefined, { ...env, ...extraEnv });
  const failing = (out: string) => (JSON.parse(out).controls as Control[]).filter((c) => !c.pass).map((c) => c.id);

  beforeAll(() => {
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config());
    expect(cli(sb, ["init"], undefined, env).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "db/url", "--tenant", "acme", "--value-stdin"], CANARY, { POLYVAULT_TOKEN: "ci" }).code).toBe(0);
    expect(cli(sb, ["backup", "create", "--tenant", "acme", "--out", join(sb.cwd, "acme.pvbackup")], undefined, env).code).toBe(0);
    expect(cli(sb, ["backup", "restore", join(sb.cwd, "acme.pvbackup"), "--dry-run"], undefined, env).code).toBe(0);
  });

  it.each(["gdpr", "soc2", "hipaa"])("a well-configured tenant passes every %s control, the audit log's included", (standard) => {
    const r = check(standard);
    const report = JSON.parse(r.out);
    expect(Object.keys(report)).toEqual(["standard", "tenant", "pass", "controls"]);
    expect(Object.keys(report.controls[0])).toEqual(["id", "title", "pass", "evidence", "reference"]);
    expect(report).toMatchObject({ standard, tenant: "acme" });
    expect(failing(r.out)).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.pass).toBe(true);
    expect(report.controls.find((c: Control) => c.id === "backup-drill").evidence).toMatch(
      /^last drill .* \(dry-run, 1 secrets from a backup of .*\), 0 day\(s\) ago; required within 30 days$/,
    );
    expect(r.out).not.toContain(CANARY);
  });

  it("prints a table for people: each control, its result, clause and evidence", () => {
    const r = cli(sb, ["compliance", "check", "--tenant", "acme", "--standard", "hipaa"], undefined, env);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("HIPAA check of tenant acme: PASS");
    expect(lines[1]).toMatch(/^CONTROL\s+RESULT\s+CLAUSE\s+EVIDENCE$/);
    expect(lines[2]).toMatch(
      /^encryption-at-rest\s+pass\s+§164\.312\(a\)\(2\)\(iv\)\s+local \(primary\): 1 secret\(s\), every current version a Polyvault envelope$/,
    );
    expect(r.out).not.toContain(CANARY);
  });

  it("data residency fails for a store outside the allowlist", () => {
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config("", '["eu-*"]'));
    const r = check("gdpr");
    expect(failing(r.out)).toContain("data-residency");
    expect((JSON.parse(r.out).controls as Control[]).find((c) => c.id === "data-residency")?.evidence).toBe("outside the allowlist (eu-*): local in local");
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config());
  });

  it("encryption at rest fails for a native route target without a waiver and passes with one", () => {
    const route = (waiver: string) =>
      `routes:\n  archive-copy: { source: local, targets: [{ provider: archive, encryption: native }], tenants: [acme]${waiver} }`;
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config(route("")));
    const bad = check("soc2");
    expect(failing(bad.out)).toContain("encryption-at-rest");
    expect((JSON.parse(bad.out).controls as Control[])[0]?.evidence).toMatch(
      /archive \(target of route archive-copy\) stores values natively \(encryption: native\) and the route has no nativeWaiver$/,
    );
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config(route(', nativeWaiver: "legacy app reads it directly (CHG-7)"')));
    expect(failing(check("soc2").out)).not.toContain("encryption-at-rest");
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config());
  });

  it("least privilege and separation of duties fail without access control", () => {
    const plain = sandbox();
    expect(cli(plain, ["init"]).code).toBe(0);
    const r = cli(plain, ["compliance", "check", "--tenant", "acme", "--standard", "soc2", "--json"]);
    expect(failing(r.out)).toEqual(["least-privilege", "separation-of-duties", "backup-drill"]);
  });

  it("the audit-chain control fails when a record of the audit log is edited", () => {
    const plain = sandbox();
    expect(cli(plain, ["init"]).code).toBe(0);
    expect(cli(plain, ["secrets", "set", "a", "--tenant", "acme", "--generate"]).code).toBe(0);
    const log = join(plain.home, "audit.log");
    const text = readFileSync(log, "utf8");
    writeFileSync(log, text.replace('"action":"write"', '"action":"read"'));
    const r = cli(plain, ["compliance", "check", "--tenant", "acme", "--standard", "soc2", "--json"]);
    expect(r.code).toBe(1);
    expect(failing(r.out)).toContain("audit-chain");
  });

  it("refuses an unknown standard or a missing tenant (exit 2)", () => {
    const r = cli(sb, ["compliance", "check", "--tenant", "acme", "--standard", "pci"], undefined, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('polyvault: INVALID_INPUT: unknown standard "pci": use one of gdpr, soc2, hipaa, iso27001, nist-csf\n');
    expect(cli(sb, ["compliance", "check", "--standard", "gdpr"], undefined, env).code).toBe(2);
    expect(cli(sb, ["compliance", "check", "--tenant", "Bad/..", "--standard", "gdpr"], undefined, env).code).toBe(2);
  });
});
