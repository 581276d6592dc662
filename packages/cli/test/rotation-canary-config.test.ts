// Bad canary policies in polyvault.yaml are refused with exact `path: message` lines, and nothing is
// rotated (the acceptance runs against the real servers in test/e2e/rotation-canary.test.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const base = (policy: string, routes = "mirror: { source: local, targets: [east], tenants: [acme] }") => `
providers:
  local: { type: file }
  east: { type: file, dir: ./east }
  west: { type: file, dir: ./west }
tenants:
  acme: { primary: local, mirrors: [east, west] }
routes:
  ${routes}
rotation:
  policies:
    - ${policy}
`;

describe("canary policies in polyvault.yaml", () => {
  it("refuse an empty canary list, an unknown or unrouted target and a missing check; the secret keeps its revision", () => {
    const sb = sandbox();
    const write = (yaml: string) => writeFileSync(join(sb.cwd, "polyvault.yaml"), yaml);
    write(base(`{ secrets: TOKEN, intervalDays: 30 }`));
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "TOKEN", "--tenant", "acme", "--value-stdin"], "CANARY-cfg-5e1d").code).toBe(0);
    const file = join(sb.cwd, "polyvault.yaml");
    const cases: Array<[string, string]> = [
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [], check: /bin/true } }`,
        "rotation.policies.0.canary.targets: name at least one canary target",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [nowhere], check: /bin/true } }`,
        "rotation.policies.0.canary.targets.0: no provider named 'nowhere' in providers",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [west], check: /bin/true } }`,
        "rotation.policies.0.canary.targets.0: 'west' is not the target of any route; a canary target must be a sync target",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [east] } }`,
        "rotation.policies.0.canary.check: a canary policy needs a check command (an executable, or [executable, ...args])",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary }`,
        "rotation.policies.0.canary: strategy canary needs a canary block with targets and a check command",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, canary: { targets: [east], check: /bin/true } }`,
        "rotation.policies.0.canary: a canary block needs strategy: canary",
      ],
      [
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [east], check: /bin/true, shell: true } }`,
        'rotation.policies.0.canary: Unrecognized key: "shell"',
      ],
    ];
    for (const [policy, line] of cases) {
      write(base(policy));
      const r = cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "TOKEN", "--force"]);
      expect(r.code, policy).toBe(2);
      expect(r.stderr).toBe(`polyvault: INVALID_INPUT: ${file} is not a valid configuration:\n  ${line}\n`);
    }
    write(base(`{ secrets: TOKEN, intervalDays: 30 }`));
    expect(JSON.parse(cli(sb, ["secrets", "get", "TOKEN", "--tenant", "acme", "--json"]).out)).toMatchObject({ version: 1 });
    const status = cli(sb, ["rotation", "status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.out)).toEqual({ pending: [], canaries: [] });
    expect(cli(sb, ["rotation", "status"]).out).toBe("no rotation is pending and no canary rotation is recorded\n");
  });

  it("a canary run with the CLI's push-on-write off reaches the canary, checks, then the rest; status shows it passed", () => {
    const sb = sandbox();
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      base(
        `{ secrets: TOKEN, intervalDays: 30, strategy: canary, canary: { targets: [west], check: [/bin/sh, -c, "exit 0"] } }`,
        "mirror: { source: local, targets: [east, west], tenants: [acme] }",
      ),
    );
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "TOKEN", "--tenant", "acme", "--value-stdin"], "CANARY-cfg-77a0").code).toBe(0);
    const r = cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "TOKEN", "--force", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.out).results[0]).toMatchObject({ outcome: "staged", toVersion: 2 });
    const s = JSON.parse(cli(sb, ["rotation", "status", "--tenant", "acme", "--json"]).out);
    expect(s.canaries).toMatchObject([{ phase: "done", outcome: "passed", canaryTargets: ["mirror:west"], targetsDone: ["mirror:west", "mirror:east"] }]);
    expect(cli(sb, ["rotation", "status"]).out).toMatch(/^TENANT +NAME +STRATEGY +FROM +TO +PHASE +OUTCOME +REASON\nacme +TOKEN +canary +1 +2 +done +passed/);
    expect(cli(sb, ["rotation", "confirm", "TOKEN", "--tenant", "acme"]).code).toBe(0);
    expect(JSON.parse(cli(sb, ["rotation", "status", "--json"]).out).canaries[0].outcome).toBe("confirmed");
  });
});
