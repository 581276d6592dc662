import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SecretManager, parseTenantId } from "@polyvault/core";
import { createFileProvider, encodeVersion } from "@polyvault/provider-file";
import { describe, expect, it } from "vitest";
import { copy, preflight, verify } from "../src/index.js";
import { bed } from "./helpers.js";

describe("migration: preflight, copy, verify", () => {
  it("lists every problem before writing anything, then migrates once they are fixed", async () => {
    const b = await bed(["acme"]);
    const acme = parseTenantId("acme");
    const small = createFileProvider({ name: "small", dir: join(b.dir, "small"), maxValueBytes: 2048 });
    const m = b.manager("acme");
    for (let i = 0; i < 40; i++) await m.set(`app/key-${i}`, `value-${i}`);
    await m.set("big/blob", Buffer.alloc(3000, 7));
    await m.set("taken", "ours");
    // Something else already keeps a secret where `taken` would go in the new provider.
    const d = join(b.dir, "small", "acme", "s", "taken");
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, "v0000000001.pv"),
      encodeVersion({ name: "taken", tenant: "acme", managed: false, metadata: {}, createdAt: new Date().toISOString() }, Buffer.from("theirs")),
    );

    const input = { tenant: acme, from: b.source, to: small, state: b.state, keyring: b.keyring };
    const pre = await preflight(input);
    expect(pre.secrets).toBe(42);
    expect(pre.problems.map((p) => [p.name, p.problem])).toEqual([
      ["big/blob", "size"],
      ["taken", "collision"],
    ]);
    expect(pre.problems[0]?.detail).toMatch(/3000-byte value \(3104 encrypted\) is over small's limit of 2048 bytes/);
    expect((await small.list(acme)).items.map((h) => h.name)).toEqual(["taken"]);

    await m.delete("big/blob", { purge: true });
    rmSync(d, { recursive: true });
    expect((await preflight(input)).problems).toEqual([]);
    const copied = await copy(input);
    expect(copied.counts).toMatchObject({ created: 41, failed: 0 });
    const again = await copy(input);
    expect(again.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    const checked = await verify(input);
    expect(checked).toEqual({ checked: 41, mismatches: [] });
    const onSmall = new SecretManager({ tenant: acme, keyring: b.keyring, primary: small });
    expect((await onSmall.get("app/key-7")).text()).toBe("value-7");
  });

  it("verify catches a target value that differs from the source", async () => {
    const b = await bed(["acme"]);
    const acme = parseTenantId("acme");
    await b.manager("acme").set("x", "one");
    const input = { tenant: acme, from: b.source, to: b.target, state: b.state, keyring: b.keyring };
    await copy(input);
    await b.manager("acme", b.target).set("x", "tampered");
    const checked = await verify(input);
    expect(checked.mismatches).toHaveLength(1);
    expect(checked.mismatches[0]?.name).toBe("x");
    expect(checked.mismatches[0]?.detail).toMatch(/^INTEGRITY: ciphertext is for revision 2, expected revision 1/);
  });
});
