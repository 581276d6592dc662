import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const CONFIG = `
providers:
  local: { type: file }
  east: { type: file, dir: ./east }
  west: { type: file, dir: ./west }
tenants:
  acme: { primary: local, mirrors: [east, west] }
routes:
  mirror: { source: local, targets: [east, west], tenants: [acme] }
rotation:
  policies: [{ secrets: "TOKEN", intervalDays: 30, strategy: gradual }]
`;

describe("gradual rotation through sync", () => {
  it("stages the new revision and rolls it out to both targets (order and read-backs: packages/sync/test/rollout.test.ts)", () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), CONFIG);
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "TOKEN", "--tenant", "acme", "--value-stdin"], "first").code).toBe(0);
    const run = cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "TOKEN", "--force", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.out).results[0]).toMatchObject({ name: "TOKEN", outcome: "staged", toVersion: 2 });
    // Each target now holds revision 2 (the plan has nothing left), and the pending record names both.
    expect(JSON.parse(cli(sb, ["sync", "plan", "--json"]).out).summary.changes).toBe(0);
    const due = JSON.parse(cli(sb, ["rotation", "due", "--tenant", "acme", "--all", "--json"]).out);
    expect(JSON.stringify(due)).toContain("pending");
    expect(cli(sb, ["rotation", "confirm", "TOKEN", "--tenant", "acme"]).code).toBe(0);
  });
});
