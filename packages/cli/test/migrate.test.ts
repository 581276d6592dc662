import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

describe("polyvault migrate --verify --cutover", () => {
  it("moves a tenant between providers and rewrites the configuration, keeping the previous file", () => {
    const sb = sandbox();
    const config = join(sb.cwd, "polyvault.yaml");
    writeFileSync(
      config,
      "# our providers\nproviders:\n  local: { type: file }\n  next: { type: file, dir: ./next-store }\ntenants:\n  acme: { primary: local }\n",
    );
    expect(cli(sb, ["init"]).code).toBe(0);
    for (let i = 0; i < 12; i++) cli(sb, ["secrets", "set", `s${i}`, "--tenant", "acme", "--value-stdin"], `value-${i}`);
    const bad = cli(sb, ["migrate", "--tenant", "acme", "--from", "local", "--to", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no provider named 'nope'/);

    const r = cli(sb, ["migrate", "--tenant", "acme", "--from", "local", "--to", "next", "--verify", "--cutover", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.preflight).toEqual({ secrets: 12, problems: [] });
    expect(report.copy.counts.created).toBe(12);
    expect(report.verify).toEqual({ checked: 12, mismatches: [] });
    expect(report.cutover).toMatchObject({ primary: "next", mirrors: ["local"] });
    expect(existsSync(report.cutover.backup)).toBe(true);
    const text = readFileSync(config, "utf8");
    expect(text).toContain("# our providers");
    expect(text).toMatch(/acme: \{ primary: next, mirrors: \[local\] \}/);

    const got = JSON.parse(cli(sb, ["secrets", "get", "s5", "--tenant", "acme", "--json"]).out);
    expect(got).toMatchObject({ value: "value-5", servedBy: "next", stale: false });
    expect(readdirSync(sb.cwd).filter((f) => f.startsWith("polyvault.yaml.bak-"))).toHaveLength(1);
  });
});
