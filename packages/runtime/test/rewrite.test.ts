// Issue 17.8: a cutover rewrites only what changes — comments, one-line maps, alignment and quoting
// elsewhere stay byte for byte — and turns around the routes that fed the new primary (issue 16.2).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { editYaml, parseConfig, rewriteCutover } from "../src/index.js";

const FILE = `# polyvault.yaml — comments stay
providers:
  local: { type: file }
  aws:   { type: aws, region: us-east-1, endpoint: "http://127.0.0.1:4566", credentials: { accessKeyId: test, secretAccessKey: test } }   # primary
  azure: { type: azure, vaultUrl: "https://localhost:8443",
           credential: { kind: static, token: dummy } }
  vault: { type: vault, address: "http://127.0.0.1:8200", token: "tok", mount: secret }
tenants:
  # aws first
  acme:   { primary: aws, mirrors: [azure, vault] }
  globex: { primary: local }
routes:
  acme-mirror:
    source: aws
    targets: [azure, vault]   # both
    tenants: [acme, globex]
    schedule: "*/5 * * * *"
    prune: true
  solo: { source: aws, targets: [vault], tenants: [acme] }
`;

describe("cutover rewrite (issues 16.2 and 17.8)", () => {
  it("changes only the nodes that change; every other line is kept as written", () => {
    const out = editYaml(FILE, [{ path: ["tenants", "acme"], value: { primary: "vault", mirrors: ["aws", "azure"] } }]);
    expect(out).toBe(FILE.replace("acme:   { primary: aws, mirrors: [azure, vault] }", "acme:   { primary: vault, mirrors: [aws, azure] }"));
  });

  it("adds a missing key in the map's own indentation, and a missing section at the end", () => {
    const out = editYaml(FILE, [{ path: ["tenants", "initech"], value: { primary: "aws" } }]);
    expect(out).toBe(FILE.replace("  globex: { primary: local }\n", "  globex: { primary: local }\n  initech: { primary: aws }\n"));
    const bare = "providers:\n  local: { type: file }\n";
    expect(editYaml(bare, [{ path: ["tenants", "t"], value: { primary: "local" } }])).toBe(`${bare}tenants:\n  t: { primary: local }\n`);
  });

  it("a cutover reverses a one-tenant route in place and moves the tenant out of a shared one; the file still loads", () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-rewrite-"));
    const path = join(dir, "polyvault.yaml");
    writeFileSync(path, FILE);
    const r = rewriteCutover(path, "acme", "aws", "vault", {});
    const out = readFileSync(path, "utf8");
    expect(readFileSync(r.backup, "utf8")).toBe(FILE);
    const config = parseConfig(out, path, {});
    expect(config.tenants?.acme).toEqual({ primary: "vault", mirrors: ["aws", "azure"] });
    expect(config.routes?.solo).toMatchObject({ source: "vault", targets: ["aws"], tenants: ["acme"] });
    expect(config.routes?.["acme-mirror"]).toMatchObject({ source: "aws", tenants: ["globex"] });
    expect(config.routes?.["acme-mirror-acme"]).toMatchObject({
      source: "vault",
      targets: ["aws", "azure"],
      tenants: ["acme"],
      prune: true,
      schedule: "*/5 * * * *",
    });
    for (const line of FILE.split("\n").filter((l) => !/acme:|solo:|tenants: \[acme/.test(l))) expect(out.split("\n")).toContain(line);
    expect(r.routes.map((x) => x.route)).toEqual(["acme-mirror", "solo"]);
  });

  it("a one-tenant route with several targets (the README's acme-mirror) is reversed in place, keeping its other targets", () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-rewrite-"));
    const path = join(dir, "polyvault.yaml");
    writeFileSync(
      path,
      "providers:\n  local: { type: file }\n  aws: { type: file, dir: ./a }\n  vault: { type: file, dir: ./v }\ntenants:\n  acme: { primary: local, mirrors: [aws, vault] }\nroutes:\n  acme-mirror: { source: local, targets: [aws, vault], tenants: [acme], prune: true }\n",
    );
    const r = rewriteCutover(path, "acme", "local", "vault", {});
    const config = parseConfig(readFileSync(path, "utf8"), path, {});
    expect(config.tenants?.acme).toEqual({ primary: "vault", mirrors: ["local", "aws"] });
    expect(config.routes?.["acme-mirror"]).toMatchObject({ source: "vault", targets: ["local", "aws"], tenants: ["acme"], prune: true });
    expect(Object.keys(config.routes ?? {})).toEqual(["acme-mirror"]);
    expect(r.routes.map((x) => x.route)).toEqual(["acme-mirror"]);
  });

  it("refuses, before writing, a cutover around a route that carries every tenant", () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-rewrite-"));
    const path = join(dir, "polyvault.yaml");
    const star = FILE.replace("tenants: [acme, globex]", 'tenants: "*"').replace("  solo: { source: aws, targets: [vault], tenants: [acme] }\n", "");
    writeFileSync(path, star);
    expect(() => rewriteCutover(path, "acme", "aws", "vault", {})).toThrow(/route acme-mirror copies every tenant \("\*"\) from aws into vault/);
    expect(readFileSync(path, "utf8")).toBe(star);
  });

  it("configuration refuses a route whose target is the primary of one of its tenants", () => {
    expect(() => parseConfig(FILE.replace("solo: { source: aws, targets: [vault]", "solo: { source: vault, targets: [aws]"), "p.yaml", {})).toThrow(
      /routes\.solo\.targets\.0: 'aws' is the primary of tenant acme/,
    );
  });
});
