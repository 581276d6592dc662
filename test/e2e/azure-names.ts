// Azure compares secret names case-insensitively and allows only 0-9a-zA-Z-: `A_B`, `a_b`, `A-B` and `a-b`
// must stay four secrets in one tenant, never one overwriting another. (A name that cannot fit is refused
// before any connection is made: unreachable.ts checks that without a server.)
import { expect, it } from "vitest";
import { type CliSandbox, SLOW } from "../harness/cli.js";
import type { Target } from "./targets.js";

const NAMES = ["A_B", "a_b", "A-B", "a-b"];

export function azureNameTests(sandbox: () => CliSandbox, t: Target): void {
  const T = ["--tenant", t.tenant];

  it("keeps A_B, a_b, A-B and a-b as four secrets, each read back with its own value", SLOW, async () => {
    const sb = sandbox();
    const values = new Map(NAMES.map((n) => [n, sb.canary()]));
    for (const [name, value] of values) {
      const r = await sb.run(["secrets", "set", name, ...T, "--value-stdin"], { input: value });
      expect(r.out, r.stderr).toBe(`${t.tenant}/${name}: version 1 stored (${value.length} bytes)\n`);
    }
    for (const [name, value] of values) {
      const r = await sb.run(["secrets", "get", name, ...T], { allow: value });
      expect(r.stdout.equals(value), name).toBe(true);
    }
    const listed = JSON.parse((await sb.run(["secrets", "list", ...T, "--json"])).out).secrets as Array<{ name: string; version: number }>;
    expect(
      listed
        .filter((s) => NAMES.includes(s.name))
        .map((s) => [s.name, s.version])
        .sort(),
    ).toEqual(NAMES.map((n) => [n, 1]).sort());
    // Four distinct secrets in Key Vault itself, each under its own (lower-case) native name.
    const natives = NAMES.map((n) => t.nativeName(n));
    expect(new Set(natives.map((n) => n.toLowerCase())).size).toBe(4);
    for (const n of natives) expect((await t.raw().read(n))?.deleted).toBe(false);
    for (const name of NAMES) expect((await sb.run(["secrets", "delete", name, ...T, "--purge"])).code).toBe(0);
    for (const n of natives) expect(await t.raw().read(n)).toBeUndefined();
  });
}
