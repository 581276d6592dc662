// `secrets set/get/list/versions/delete` against one provider's real server, through the CLI only.
import { randomBytes } from "node:crypto";
import { ENVELOPE_OVERHEAD } from "@polyvault/core";
import { expect, it } from "vitest";
import { type CliSandbox, SLOW, expectErrorLine, expectSameBytes } from "../harness/cli.js";
import type { Target } from "./targets.js";

interface Listed {
  name: string;
  version: number | null;
  managed: boolean;
}

export function lifecycleTests(sandbox: () => CliSandbox, t: Target): void {
  const T = ["--tenant", t.tenant];
  const names = async (sb: CliSandbox) => {
    const r = await sb.run(["secrets", "list", ...T, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.out).secrets as Listed[]).map((s) => s.name);
  };

  it("stores text, reads it back raw and as --json, keeps versions and lists heads", SLOW, async () => {
    const sb = sandbox();
    const v1 = sb.canary(Buffer.from(" héllo\n"));
    const set1 = await sb.run(["secrets", "set", "db/url", ...T, "--value-stdin"], { input: v1 });
    expect(set1.stderr).toBe("");
    expect(set1.out).toBe(`${t.tenant}/db/url: version 1 stored (${v1.length} bytes)\n`);
    const v2 = sb.canary();
    const set2 = await sb.run(["secrets", "set", "db/url", ...T, "--value-stdin", "--json"], { input: v2 });
    expect(JSON.parse(set2.out)).toEqual({ tenant: t.tenant, name: "db/url", version: 2, bytes: v2.length, generated: false, unchanged: false });

    const raw = await sb.run(["secrets", "get", "db/url", ...T], { allow: v2 });
    expect([raw.code, raw.stderr]).toEqual([0, ""]);
    expectSameBytes(raw.stdout, v2);
    const json = await sb.run(["secrets", "get", "db/url", ...T, "--json"], { allow: v2 });
    expect(JSON.parse(json.out)).toMatchObject({ tenant: t.tenant, name: "db/url", version: 2, value: v2.toString(), servedBy: t.provider, stale: false });
    const old = await sb.run(["secrets", "get", "db/url", ...T, "--version", "1"], { allow: v1 });
    expectSameBytes(old.stdout, v1);
    expectErrorLine(await sb.run(["secrets", "get", "db/url", ...T, "--version", "7"]), 3, "NOT_FOUND");

    const versions = JSON.parse((await sb.run(["secrets", "versions", "db/url", ...T, "--json"])).out);
    expect(versions.versions.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const list = JSON.parse((await sb.run(["secrets", "list", ...T, "--json"])).out);
    expect(list.secrets).toEqual([expect.objectContaining({ name: "db/url", version: 2, managed: true, labels: {} })]);
    const human = await sb.run(["secrets", "list", ...T]);
    expect(human.out).toMatch(/^NAME +VERSION +UPDATED +KEY +MANAGED +LABELS\ndb\/url +2 +\S+ +1 +yes *\n$/);
  });

  it("keeps the labels given with --label, and shows them in get --json and list --json", SLOW, async () => {
    const sb = sandbox();
    const v = sb.canary();
    const set = await sb.run(["secrets", "set", "labelled", ...T, "--value-stdin", "--label", "team=core", "--label", "owner=ops@example.com"], { input: v });
    expect([set.code, set.stderr]).toEqual([0, ""]);
    const labels = { team: "core", owner: "ops@example.com" };
    expect(JSON.parse((await sb.run(["secrets", "get", "labelled", ...T, "--json"], { allow: v })).out)).toMatchObject({ version: 1, labels });
    const listed = JSON.parse((await sb.run(["secrets", "list", ...T, "--json"])).out).secrets as Array<{ name: string }>;
    expect(listed.find((s) => s.name === "labelled")).toMatchObject({ labels });
    expect((await sb.run(["secrets", "delete", "labelled", ...T, "--purge"])).code).toBe(0);
  });

  it("round-trips bytes that are not text through --value-stdin (--json answers valueBase64)", SLOW, async () => {
    const sb = sandbox();
    const bin = sb.canary(Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0, 0x80, 0x0a, 0x0d]), randomBytes(3000)]));
    expect((await sb.run(["secrets", "set", "bin/blob", ...T, "--value-stdin"], { input: bin })).code).toBe(0);
    expectSameBytes((await sb.run(["secrets", "get", "bin/blob", ...T], { allow: bin })).stdout, bin);
    const json = JSON.parse((await sb.run(["secrets", "get", "bin/blob", ...T, "--json"], { allow: bin })).out);
    expect(json.valueBase64).toBe(bin.toString("base64"));
    expect(json.value).toBeUndefined();
    expect((await sb.run(["secrets", "delete", "bin/blob", ...T, "--purge"])).code).toBe(0);
  });

  it("accepts a value at the provider's limit and refuses one byte more before writing anything", SLOW, async () => {
    const sb = sandbox();
    const max = t.maxValueBytes - ENVELOPE_OVERHEAD;
    const fits = sb.canary();
    const fitsValue = Buffer.concat([fits, randomBytes(max - fits.length)]);
    expect((await sb.run(["secrets", "set", "size/max", ...T, "--value-stdin"], { input: fitsValue })).code).toBe(0);
    // Larger than a pipe's buffer (64 KiB) for most providers: stdout must be flushed before the value is wiped.
    expectSameBytes((await sb.run(["secrets", "get", "size/max", ...T], { allow: fits })).stdout, fitsValue);
    const over = Buffer.concat([sb.canary(), randomBytes(max + 1)]).subarray(0, max + 1);
    const r = await sb.run(["secrets", "set", "size/over", ...T, "--value-stdin"], { input: over });
    expectErrorLine(r, 2, "TOO_LARGE", new RegExp(`value of ${max + 1} bytes is over the ${max}-byte limit of provider ${t.provider}`));
    expectErrorLine(await sb.run(["secrets", "get", "size/over", ...T]), 3, "NOT_FOUND");
    expect(await names(sb)).not.toContain("size/over");
    expect((await sb.run(["secrets", "delete", "size/max", ...T, "--purge"])).code).toBe(0);
  });

  it("deletes softly, writes the name again, purges, and then answers exit 3 everywhere", SLOW, async () => {
    const sb = sandbox();
    // Its own secret (any test can run alone with -t): a first value to delete.
    expect((await sb.run(["secrets", "set", "db/url", ...T, "--value-stdin"], { input: sb.canary() })).code).toBe(0);
    const del = await sb.run(["secrets", "delete", "db/url", ...T]);
    expect([del.code, del.out, del.stderr]).toEqual([0, `${t.tenant}/db/url: deleted\n`, ""]);
    expectErrorLine(await sb.run(["secrets", "get", "db/url", ...T]), 3, "NOT_FOUND");
    expect(await names(sb)).not.toContain("db/url");

    const again = sb.canary();
    expect((await sb.run(["secrets", "set", "db/url", ...T, "--value-stdin"], { input: again })).code).toBe(0);
    expectSameBytes((await sb.run(["secrets", "get", "db/url", ...T], { allow: again })).stdout, again);

    const purge = await sb.run(["secrets", "delete", "db/url", ...T, "--purge", "--json"]);
    expect(JSON.parse(purge.out)).toEqual({ tenant: t.tenant, name: "db/url", deleted: true, purged: true });
    for (const args of [["get"], ["versions"], ["delete"], ["delete", "--purge"], ["rotate", "--generate"]]) {
      const [cmd, ...rest] = args as [string, ...string[]];
      expectErrorLine(await sb.run(["secrets", cmd, "db/url", ...T, ...rest]), 3, "NOT_FOUND", /db\/url/);
    }
    const json = await sb.run(["secrets", "get", "db/url", ...T, "--json"]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out)).toEqual({ error: { code: "NOT_FOUND", message: expect.stringContaining("db/url") } });
    expect(await names(sb)).not.toContain("db/url");
  });
}
