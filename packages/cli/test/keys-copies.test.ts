/**
 * Issue 15.5: key status, rewrap and retire see every copy (primary, mirrors, route stores), so retiring a
 * key version never destroys the mirror's copy. Issue 15.8: one unreadable record does not stop key
 * management: rewrap goes on and names it (exit 6), status answers and counts it apart.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTenantId, rewrapTenant } from "@polyvault/core";
import { Runtime } from "@polyvault/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const CONFIG = `providers:
  local: { type: file }
  copy: { type: file, dir: ./copy-store }
tenants:
  acme: { primary: local, mirrors: [copy] }
routes:
  acme-copy: { source: local, targets: [copy], tenants: [acme] }
`;
// The same stores with the primary unreachable (its directory below a regular file): reads fail over.
const DOWN = CONFIG.replace("local: { type: file }", "local: { type: file, dir: ./blocked/store }");

type Status = {
  current: number;
  versions: Array<{ version: number; protects: number; stores: Array<{ provider: string; needed: number }> }>;
  unreadable: unknown[];
};

describe("keys over primary and mirror", () => {
  const sb = sandbox();
  const status = (): Status => JSON.parse(cli(sb, ["keys", "status", "--json"]).out) as Status;
  const protects = (s: Status, v: number) => s.versions.find((x) => x.version === v)?.protects;
  const failoverGet = (name: string) => cli(sb, ["secrets", "get", name, "--tenant", "acme", "--config", join(sb.cwd, "down.yaml"), "--json"]);

  beforeAll(() => {
    writeFileSync(join(sb.cwd, "polyvault.yaml"), CONFIG);
    writeFileSync(join(sb.cwd, "down.yaml"), DOWN);
    writeFileSync(join(sb.cwd, "blocked"), "");
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b", "c"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `value-${n}`).code).toBe(0);
    expect(cli(sb, ["sync", "apply", "--json"]).code).toBe(0);
    expect(JSON.parse(failoverGet("a").out)).toMatchObject({ value: "value-a", servedBy: "copy", stale: true });
  });

  it("status counts the mirror's copies; retire is refused while only the primary was rewrapped", async () => {
    expect(cli(sb, ["keys", "rotate"]).code).toBe(0);
    const before = status();
    expect(protects(before, 1)).toBe(6);
    expect(before.versions[0]?.stores.map((s) => [s.provider, s.needed])).toEqual([
      ["local", 3],
      ["copy", 3],
    ]);
    // What `keys rewrap` did before: the primary only.
    const rt = await Runtime.open({ dataDir: sb.home, configPath: join(sb.cwd, "polyvault.yaml"), env: {} });
    try {
      await rewrapTenant({ tenant: parseTenantId("acme"), keyring: rt.keyring, provider: rt.provider("local") });
    } finally {
      await rt.close();
    }
    const refused = cli(sb, ["keys", "retire", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /key version 1 still protects 3 stored secret version\(s\) \(copy \(mirror of acme\): 3\); run `polyvault keys rewrap` first/,
    );
    expect(JSON.parse(failoverGet("b").out)).toMatchObject({ value: "value-b", servedBy: "copy" });
  });

  it("rewrap re-seals the mirror too; then retire succeeds and the mirror's copy still opens", () => {
    const rw = JSON.parse(cli(sb, ["keys", "rewrap", "--json"]).out);
    expect(rw.tenants.map((r: { provider: string; versionsRewrapped: number }) => [r.provider, r.versionsRewrapped])).toEqual([
      ["local", 0],
      ["copy", 3],
    ]);
    const after = status();
    expect([protects(after, 1), protects(after, 2)]).toEqual([0, 6]);
    expect(cli(sb, ["sync", "plan", "--json"]).out).not.toMatch(/"action":"(update|drift|conflict)"/);
    expect(cli(sb, ["keys", "retire", "1"]).code).toBe(0);
    for (const n of ["a", "b", "c"]) expect(JSON.parse(failoverGet(n).out)).toMatchObject({ value: `value-${n}`, servedBy: "copy", stale: true });
  });
});

describe("one unreadable record does not stop key management", () => {
  const sb = sandbox();
  beforeAll(() => {
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a-bad", "b", "c"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `acme-${n}`).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "a-bad", "--tenant", "other", "--value-stdin"], "other-value").code).toBe(0);
    const file = (t: string) => join(sb.home, "store", t, "s", "a-bad", "v0000000001.pv");
    copyFileSync(file("other"), file("acme"));
    expect(cli(sb, ["keys", "rotate"]).code).toBe(0);
  });

  it("status answers (exit 0), counting the damaged record apart", () => {
    const r = cli(sb, ["keys", "status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.versions[0].protects).toBe(3); // acme/b, acme/c, other/a-bad
    expect(s.unreadable).toEqual([expect.objectContaining({ tenant: "acme", provider: "local", name: "a-bad" })]);
    expect(s.unreadable[0].reason).toMatch(/holds other\/a-bad, not acme\/a-bad/);
    expect(cli(sb, ["keys", "status"]).out).toMatch(/1 stored record\(s\) could not be read/);
  });

  it("rewrap rewraps everything else, names the damaged record and exits 6", () => {
    const r = cli(sb, ["keys", "rewrap", "--json"]);
    expect(r.code).toBe(6);
    const out = JSON.parse(r.out);
    expect(out.tenants.map((t: { tenant: string; versionsRewrapped: number }) => [t.tenant, t.versionsRewrapped])).toEqual([
      ["acme", 2],
      ["other", 1],
    ]);
    expect(out.unreadable).toEqual([expect.objectContaining({ tenant: "acme", name: "a-bad" })]);
    const human = cli(sb, ["keys", "rewrap"]);
    expect(human.code).toBe(6);
    expect(human.out).toMatch(
      /1 record\(s\) could not be read and were left as they are:\n {2}unreadable: local:acme\/a-bad: file provider: .*holds other\/a-bad, not acme\/a-bad/,
    );
    const s = JSON.parse(cli(sb, ["keys", "status", "--json"]).out);
    expect(s.versions.map((v: { protects: number }) => v.protects)).toEqual([0, 3]);
    expect(cli(sb, ["secrets", "get", "b", "--tenant", "acme"]).out).toBe("acme-b");
    // Retire cannot show that the damaged record does not need key version 1: refused, naming it.
    const retire = cli(sb, ["keys", "retire", "1"]);
    expect(retire.code).toBe(1);
    expect(retire.stderr).toMatch(/1 stored record\(s\) could not be read \(local:acme\/a-bad\)/);
  });
});
