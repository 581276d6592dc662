// Secrets that something else created (the raw SDK or HTTP API), at exactly the native name where Polyvault
// would put the tenant's secret of that name: no Polyvault command may modify or delete them.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type CliSandbox, SLOW, expectErrorLine } from "../harness/cli.js";
import type { RawSnapshot } from "./raw-stores.js";
import type { Target } from "./targets.js";

/** Polyvault's own markers, but naming another tenant: still not this tenant's secret. */
const claimedBy = (name: string) => ({ "managed-by": "polyvault", "pv-tenant": "someone-else", "pv-name": name });

export function ownershipTests(sandbox: () => CliSandbox, t: Target): void {
  const T = ["--tenant", t.tenant];
  const planted = [
    { name: "legacy/api-key", tags: undefined },
    { name: "legacy/claimed", tags: claimedBy("legacy/claimed") },
  ];
  const before = new Map<string, RawSnapshot>();

  beforeAll(async () => {
    const sb = sandbox();
    for (const p of planted) {
      const native = t.nativeName(p.name);
      await t.raw().write(native, sb.canary().toString(), p.tags);
      const snap = await t.raw().read(native);
      if (!snap || snap.deleted) throw new Error(`could not plant ${native} in ${t.provider}`);
      before.set(p.name, snap);
    }
  });
  afterAll(async () => {
    for (const p of planted) await t.raw().remove(t.nativeName(p.name));
  });

  const unchanged = async (name: string) => expect(await t.raw().read(t.nativeName(name))).toEqual(before.get(name));

  it("refuses set, rotate, delete and delete --purge on them with exit 1, and changes nothing", SLOW, async () => {
    const sb = sandbox();
    for (const { name } of planted) {
      const attempts: Array<[string[], RegExp]> = [
        [["set", name, "--value-stdin"], /exists in provider .* and is not managed by Polyvault; adopt it first/],
        [["rotate", name, "--value-stdin"], /is not managed by Polyvault/],
        [["rotate", name, "--generate"], /is not managed by Polyvault/],
        [["delete", name], /not managed by Polyvault/],
        [["delete", name, "--purge"], /not managed by Polyvault/],
      ];
      for (const [args, message] of attempts) {
        const r = await sb.run(["secrets", ...args, ...T], { input: sb.canary() });
        expectErrorLine(r, 1, "CONFLICT", message);
        expect(r.stderr).toContain(name);
        await unchanged(name);
      }
      const json = await sb.run(["secrets", "set", name, ...T, "--value-stdin", "--json"], { input: sb.canary() });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toEqual({ error: { code: "CONFLICT", message: expect.stringMatching(/not managed by Polyvault/) } });
      await unchanged(name);
    }
  });

  it("lists them as not managed, and never prints their value", SLOW, async () => {
    const sb = sandbox();
    const list = await sb.run(["secrets", "list", ...T, "--json"]);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.out).secrets as Array<{ name: string; managed: boolean; version: number | null }>;
    for (const { name } of planted) {
      expect(listed.filter((s) => s.name === name)).toEqual([expect.objectContaining({ name, managed: false })]);
    }
    // Their bytes are not Polyvault ciphertext: a read says so and prints nothing of them.
    expectErrorLine(await sb.run(["secrets", "get", "legacy/api-key", ...T]), 6, "INTEGRITY", /has no revision \(pv-rev\) in its metadata/);
    for (const { name } of planted) await unchanged(name);
  });
}
