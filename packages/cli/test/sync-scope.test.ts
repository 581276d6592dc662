/**
 * Issue 16 finding 8, the CLI path: `sync plan` and `sync apply` with the token of an operator limited
 * to `public/*` see and touch only those names (they used to plan and apply every name of the tenant).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const ADMIN = "sync-scope-admin-token";
const PUBOP = "sync-scope-public-operator";

describe("sync through the CLI, for an operator limited by secret globs", { timeout: 600_000 }, () => {
  const sb = sandbox();
  const as = (token: string, args: string[], input?: string) => cli(sb, args, input, { POLYVAULT_TOKEN: token });
  const mirrored = () => {
    const dir = join(sb.cwd, "mirror", "acme", "s");
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };

  const config = (routes: string) =>
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      `providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror }
tenants:
  acme: { primary: local }
${routes}
access:
  principals:
    admin: { tokenSha256: "${sha(ADMIN)}", roles: [{ role: admin, tenants: ["*"] }] }
    pubop: { tokenSha256: "${sha(PUBOP)}", roles: [{ role: operator, tenants: [acme], secrets: ["public/*"] }] }
`,
    );

  beforeAll(() => {
    // The secrets are written before the route exists, so push-on-write leaves the mirror empty.
    config("");
    expect(as(ADMIN, ["init"]).code).toBe(0);
    for (const name of ["public/a", "private/key", "TOP"])
      expect(as(ADMIN, ["secrets", "set", name, "--tenant", "acme", "--value-stdin"], `v-${name}`).code).toBe(0);
    config("routes:\n  pub: { source: local, targets: [mirror], tenants: [acme] }");
    expect(mirrored()).toEqual([]);
  }, 120_000);

  it("plans and applies only public/*", () => {
    const plan = as(PUBOP, ["sync", "plan", "--tenant", "acme", "--json"]);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.out).actions.map((a: { name: string }) => a.name)).toEqual(["public/a"]);
    const apply = as(PUBOP, ["sync", "apply", "--tenant", "acme", "--json"]);
    expect(apply.code).toBe(0);
    expect(mirrored()).toEqual(["public~a"]);
    const all = as(ADMIN, ["sync", "plan", "--tenant", "acme", "--json"]);
    expect(
      JSON.parse(all.out)
        .actions.map((a: { name: string }) => a.name)
        .sort(),
    ).toEqual(["TOP", "private/key", "public/a"]);
  });
});
