import { ConflictError, IntegrityError, SecretManager, parseTenantId } from "@polyvault/core";
import { createFileProvider, encodeVersion } from "@polyvault/provider-file";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { combine } from "../src/index.js";
import { bed, reset } from "./helpers.js";

describe("sync engine on two file providers", () => {
  it("creates everything, then a no-op sync costs list calls only: 0 writes, 0 value reads", async () => {
    const b = await bed();
    for (const t of ["acme", "globex"]) for (let i = 0; i < 30; i++) await b.manager(t).set(`k/${i}`, `${t}-value-${i}`);
    const engine = b.engine();
    const first = combine(await engine.plan());
    expect(first.summary).toMatchObject({ create: 60, update: 0, delete: 0, noop: 0, changes: 60 });
    const [run] = await engine.apply();
    expect(run?.result?.counts).toMatchObject({ created: 60, failed: 0 });
    expect(combine(await engine.plan()).summary).toMatchObject({ create: 0, update: 0, noop: 60, changes: 0 });

    reset(b.sourceCalls);
    reset(b.targetCalls);
    const [again] = await engine.apply();
    expect(again?.result?.counts).toMatchObject({ created: 0, updated: 0, repaired: 0, deleted: 0, stateRecorded: 0, failed: 0 });
    expect(b.targetCalls.put + b.targetCalls.delete).toBe(0);
    expect(b.sourceCalls.valueReads + b.targetCalls.valueReads).toBe(0);
    expect(b.sourceCalls.list).toBeGreaterThan(0);

    for (let i = 0; i < 30; i += 7) {
      const v = await b.manager("acme", b.target).get(`k/${i}`);
      expect(v.text()).toBe(`acme-value-${i}`);
    }
  });

  it("a value changed in the target shows as drift for exactly that secret; source-wins repairs it", async () => {
    const b = await bed(["acme"]);
    for (let i = 0; i < 10; i++) await b.manager("acme").set(`d/${i}`, `v${i}`);
    await b.engine().apply();
    await b.manager("acme", b.target).set("d/3", "changed out of band");
    const plan = combine(await b.engine().plan());
    const changed = plan.actions.filter((a) => a.action !== "noop");
    expect(changed.map((a) => [a.name, a.action])).toEqual([["d/3", "drift"]]);
    const [run] = await b.engine().apply();
    expect(run?.result?.counts.repaired).toBe(1);
    expect((await b.manager("acme", b.target).get("d/3")).text()).toBe("v3");
    expect(combine(await b.engine().plan()).summary.changes).toBe(0);
  });

  it("conflict policy fail leaves the drifted secret and reports it; target-wins leaves it too", async () => {
    const b = await bed(["acme"]);
    await b.manager("acme").set("c/1", "source");
    await b.engine().apply();
    await b.manager("acme", b.target).set("c/1", "target edit");
    await b.manager("acme").set("c/1", "source edit");
    for (const conflict of ["fail", "target-wins"] as const) {
      const [run] = await b.engine({ conflict }).apply();
      expect(run?.plan?.actions.find((a) => a.name === "c/1")?.action).toBe("conflict");
      expect(run?.result?.counts.conflictsLeft).toBe(1);
      expect((await b.manager("acme", b.target).get("c/1")).text()).toBe("target edit");
    }
    const [won] = await b.engine({ conflict: "source-wins" }).apply();
    expect(won?.result?.counts.repaired).toBe(1);
    expect((await b.manager("acme", b.target).get("c/1")).text()).toBe("source edit");
  });

  it("prunes deletions, but refuses a mass delete without confirm: only the deletions, the rest applies", async () => {
    const b = await bed(["acme"]);
    for (let i = 0; i < 20; i++) await b.manager("acme").set(`p/${i}`, `v${i}`);
    await b.engine().apply();
    await b.manager("acme").delete("p/0");
    const [one] = await b.engine().apply();
    expect(one?.result?.counts.deleted).toBe(1);
    for (let i = 1; i < 6; i++) await b.manager("acme").delete(`p/${i}`);
    await b.manager("acme").set("p/new", "v");
    reset(b.targetCalls);
    const [refused] = await b.engine().apply();
    expect(refused?.result?.counts).toMatchObject({ deleted: 0, created: 1, refused: 5 });
    expect(refused?.result?.failures[0]).toMatchObject({ code: "CHECK_FAILED" });
    expect(refused?.result?.failures[0]?.message).toMatch(
      /refused by the mass-delete guard: route mirror would delete 5 of the 19 verified secrets of tenant acme in mirror \(1 in the last 60 min; at most 1 without --confirm\); nothing was deleted/,
    );
    expect(b.targetCalls.delete).toBe(0);
    const [confirmed] = await b.engine().apply({}, { confirm: true });
    expect(confirmed?.result?.counts.deleted).toBe(5);
    expect((await b.manager("acme", b.target).list()).length).toBe(15);
  });

  it("never touches an unmanaged secret at the target name: reports a conflict", async () => {
    const b = await bed(["acme"]);
    await b.manager("acme").set("u/1", "polyvault value");
    const d = join(b.dir, "mirror", "acme", "s", "u~1");
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, "v0000000001.pv"),
      encodeVersion({ name: "u/1", tenant: "acme", managed: false, metadata: {}, createdAt: new Date().toISOString() }, Buffer.from("theirs")),
    );
    const [run] = await b.engine().apply();
    expect(run?.plan?.actions[0]).toMatchObject({ name: "u/1", action: "conflict", apply: "none" });
    expect((await b.rawTarget.get(b.tenants[0] as never, "u/1")).value.toString()).toBe("theirs");
  });

  it("native targets hold the value itself; a failover read from them decrypts nothing", async () => {
    const b = await bed(["acme"]);
    await b.manager("acme").set("n/1", "native value");
    await b.engine({ targets: [{ provider: b.target, encryption: "native" }] }).apply();
    const raw = await b.rawTarget.get(b.tenants[0] as never, "n/1");
    expect(raw.value.toString()).toBe("native value");
    expect(raw.metadata["pv-enc"]).toBe("native");
    // Configuration says the mirror is native: a failover read takes its bytes as the value. Read as a
    // primary (always envelope, whatever `pv-enc` says) the same bytes are not a valid envelope.
    const blocker = join(b.dir, "not-a-dir");
    writeFileSync(blocker, "");
    const down = createFileProvider({ name: "down", dir: join(blocker, "store") });
    const failover = new SecretManager({
      tenant: parseTenantId("acme"),
      keyring: b.keyring,
      primary: down,
      mirrors: [{ provider: b.target, encryption: "native" }],
    });
    const got = await failover.get("n/1");
    expect([got.text(), got.servedBy, got.stale, got.version]).toEqual(["native value", "mirror", true, 1]);
    await expect(b.manager("acme", b.target).get("n/1")).rejects.toBeInstanceOf(IntegrityError);
  });

  it("a write racing the plan is refused by check-and-set, counted as failed, and converges on the next run", async () => {
    const b = await bed(["acme"]);
    await b.manager("acme").set("r/1", "one");
    await b.engine().apply();
    await b.manager("acme").set("r/1", "two");
    const engine = b.engine();
    const plan = await engine.plan();
    await b.manager("acme", b.target).set("r/1", "racer");
    const { applyPlan } = await import("../src/index.js");
    const result = await applyPlan(engine.routes[0] as never, plan[0]?.plan as never, b.state, { keyring: b.keyring });
    expect(result.counts.failed).toBe(1);
    expect(result.failures[0]?.code).toBe(new ConflictError("x").code);
    const [next] = await b.engine().apply();
    expect(next?.result?.counts.repaired).toBe(1);
    expect((await b.manager("acme", b.target).get("r/1")).text()).toBe("two");
  });

  it("one process per route: a held lease makes another apply skip", async () => {
    const b = await bed(["acme"]);
    await b.manager("acme").set("l/1", "v");
    expect(await b.state.tryLease("route:mirror", "someone-else", 60_000)).toBe(true);
    const [run] = await b.engine().apply();
    expect(run?.skipped).toMatch(/held by someone-else since .* until /);
    await b.state.releaseLease("route:mirror", "someone-else");
    const [ok] = await b.engine().apply();
    expect(ok?.result?.counts.created).toBe(1);
  });
});
