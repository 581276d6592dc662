/**
 * Issue 15 finding 10, through the CLI: `constructor`, `__proto__`, `toString` as a tenant id, a
 * secret name, a .env key, a label key and an alphabet. Each is kept as itself or refused by name —
 * never a 500, a wrong error or a silent drop.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

// Many CLI processes per test: generous timeouts for a loaded machine (no timing is asserted).
describe("built-in property names as user input", { timeout: 600_000 }, () => {
  const sb = sandbox();
  const run = (args: string[], input?: string) => cli(sb, [...args, "--config", "polyvault.yaml"], input);
  beforeAll(() => {
    // A `tenants` section: a tenant id is looked up in it.
    writeFileSync(join(sb.cwd, "polyvault.yaml"), "providers:\n  local: { type: file }\ntenants:\n  acme: { primary: local }\n");
    expect(run(["init"]).code).toBe(0);
  });

  it("tenant ids: constructor is a tenant like any other; __proto__ is refused as an invalid id", () => {
    const set = run(["secrets", "set", "K", "--tenant", "constructor", "--value-stdin"], "v");
    expect([set.code, set.stderr]).toEqual([0, ""]);
    expect(run(["secrets", "get", "K", "--tenant", "constructor"]).out).toBe("v");
    const bad = run(["secrets", "set", "K", "--tenant", "__proto__", "--value-stdin"], "v");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^polyvault: INVALID_INPUT: invalid tenant id "__proto__": /);
  });

  it("secret names: each is stored, read, listed, versioned and deleted as itself", () => {
    const names = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];
    for (const n of names) expect(run(["secrets", "set", n, "--tenant", "names", "--value-stdin"], `v-${n}`).code).toBe(0);
    for (const n of names) expect(run(["secrets", "get", n, "--tenant", "names"]).out).toBe(`v-${n}`);
    expect(
      JSON.parse(run(["secrets", "list", "--tenant", "names", "--json"]).out)
        .secrets.map((s: { name: string }) => s.name)
        .sort(),
    ).toEqual([...names].sort());
    expect(JSON.parse(run(["secrets", "versions", "__proto__", "--tenant", "names", "--json"]).out).versions).toHaveLength(1);
    expect(run(["secrets", "delete", "constructor", "--tenant", "names"]).code).toBe(0);
    expect(run(["secrets", "get", "constructor", "--tenant", "names"]).code).toBe(3);
  });

  it(".env keys: constructor and toString are imported; __proto__ is refused by name and nothing is imported", () => {
    const bad = join(sb.cwd, "proto.env");
    writeFileSync(bad, "constructor=1\ntoString=2\n__proto__=3\n");
    const r = run(["env", "import", bad, "--tenant", "envs"]);
    expect([r.code, r.stderr]).toEqual([2, `polyvault: INVALID_INPUT: ${bad}:3: __proto__ cannot be imported as a variable name; nothing was imported\n`]);
    expect(JSON.parse(run(["secrets", "list", "--tenant", "envs", "--json"]).out).secrets).toEqual([]);
    const good = join(sb.cwd, "ok.env");
    writeFileSync(good, "constructor=1\ntoString=2\n");
    expect(JSON.parse(run(["env", "import", good, "--tenant", "envs", "--json"]).out).imported.map((i: { name: string }) => i.name)).toEqual([
      "constructor",
      "toString",
    ]);
    expect(run(["secrets", "get", "toString", "--tenant", "envs"]).out).toBe("2");
  });

  it("label keys: constructor is kept; __proto__ is refused by name", () => {
    const ok = run(["secrets", "set", "L", "--tenant", "labels", "--generate", "--label", "constructor=y", "--label", "toString=z"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(run(["secrets", "get", "L", "--tenant", "labels", "--json"]).out).labels).toEqual({ constructor: "y", toString: "z" });
    const bad = run(["secrets", "set", "M", "--tenant", "labels", "--generate", "--label", "__proto__=x"]);
    expect([bad.code, bad.stderr]).toEqual([2, "polyvault: INVALID_INPUT: --label: __proto__ cannot be a label key\n"]);
  });

  it("alphabets: a name like constructor is a list of characters, not a 500", () => {
    for (const alphabet of ["constructor", "toString", "__proto__"]) {
      const r = run(["secrets", "set", `A_${alphabet}`, "--tenant", "gen", "--generate", "--alphabet", alphabet]);
      expect([r.code, r.stderr], alphabet).toEqual([0, ""]);
      const v = run(["secrets", "get", `A_${alphabet}`, "--tenant", "gen"]).out;
      expect([...v].every((c) => alphabet.includes(c))).toBe(true);
    }
  });
});
