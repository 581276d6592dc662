import { ConflictError, IntegrityError, SecretManager, parseTenantId } from "@polyvault/core";
import { createFileProvider, encodeVersion } from "@polyvault/provider-file";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { combine } from "../src/index.js";
import { applyDyingBeforeRecords, bed, reset } from "./helpers.js";

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

  it("a write a killed run left unrecorded does not shrink the overwrite guard's bound: verified first, then guarded", async () => {
    // Every secret was overwritten within the window (a sweep the default bound allows: updateFraction 1 ×
    // the verified secrets). A run then dies between a target write and its record, so that copy is not
    // vouched for until the next run reads it back. The next run verifies it before it counts: a real
    // one-secret change is not refused as a mass overwrite (sync-crash.test.ts met this under load).
    const b = await bed(["acme"]);
    const names = Array.from({ length: 30 }, (_, i) => `g/${i}`);
    for (const n of names) await b.manager("acme").set(n, `${n}@0`);
    await b.engine().apply();
    for (const n of names) await b.manager("acme").set(n, `${n}@1`);
    const [sweep] = await b.engine().apply();
    expect(sweep?.result?.counts).toMatchObject({ updated: 30, refused: 0 });

    await b.manager("acme").set("g/0", "g/0@2");
    const killed = await applyDyingBeforeRecords(b);
    expect(killed.counts.failed).toBe(1);
    expect((await b.manager("acme", b.target).get("g/0")).text()).toBe("g/0@2");

    await b.manager("acme").set("g/1", "g/1@2");
    const [next] = await b.engine().apply();
    expect(next?.plan?.live).toEqual({ "mirror\u0000acme": 29 });
    expect(next?.result?.failures).toEqual([]);
    expect(next?.result?.counts).toMatchObject({ verified: 1, updated: 1, refused: 0, failed: 0 });
    expect((await b.manager("acme", b.target).get("g/1")).text()).toBe("g/1@2");
    const [after] = await b.engine().plan();
    expect(after?.plan?.summary.changes).toBe(0);
  });

  it("rewrites that verification asks for (source-wins) go through the overwrite guard too", async () => {
    const b = await bed(["acme"]);
    const acme = b.tenants[0] as never;
    for (const n of ["f/1", "f/2", "f/3"]) await b.manager("acme").set(n, `${n} real`);
    await b.engine().apply();
    // Copies that claim the source's digest but hold other bytes: apply reads them back (verify), finds
    // them false and, under source-wins, would rewrite all three.
    for (const n of ["f/1", "f/2", "f/3"]) {
      const src = await b.source.get(acme, n);
      await b.rawTarget.put(acme, n, Buffer.from("forged"), { metadata: src.metadata });
    }
    const guard = { guard: { updateFloor: 1, updateFraction: 0 } };
    const [run] = await b.engine(guard).apply();
    expect(run?.result?.counts).toMatchObject({ verified: 0, repaired: 0, refused: 3, failed: 3 });
    expect(run?.result?.failures.map((f) => [f.name, f.code]).sort()).toEqual([
      ["f/1", "CHECK_FAILED"],
      ["f/2", "CHECK_FAILED"],
      ["f/3", "CHECK_FAILED"],
    ]);
    expect(run?.result?.failures[0]?.message).toMatch(/refused by the mass-overwrite guard: route mirror would overwrite 3 of the 0 verified secrets/);
    for (const n of ["f/1", "f/2", "f/3"]) expect((await b.rawTarget.get(acme, n)).value.toString()).toBe("forged");
    const [confirmed] = await b.engine(guard).apply({}, { confirm: true });
    expect(confirmed?.result?.counts).toMatchObject({ repaired: 3, refused: 0, failed: 0 });
    for (const n of ["f/1", "f/2", "f/3"]) expect((await b.manager("acme", b.target).get(n)).text()).toBe(`${n} real`);
  });

  it("conflict policy fail: a stopped run's unrecorded write is updated, not left as a conflict; an edit made out of band is left", async () => {
    const b = await bed(["acme"]);
    const acme = b.tenants[0] as never;
    const route = { conflict: "fail" as const };
    await b.manager("acme").set("k/1", "one");
    await b.manager("acme").set("k/2", "one");
    await b.engine(route).apply();
    // Revision 2 of both, and a new k/3, reach the mirror, and the run dies before it records any.
    await b.manager("acme").set("k/1", "two");
    await b.manager("acme").set("k/2", "two");
    await b.manager("acme").set("k/3", "one");
    await applyDyingBeforeRecords(b, route);
    // k/2's mirror copy is then replaced out of band by bytes that are no envelope of ours.
    const forged = await b.rawTarget.get(acme, "k/2");
    await b.rawTarget.put(acme, "k/2", Buffer.from("edited by hand"), { metadata: { ...forged.metadata, "pv-digest": "hand" } });
    // The source moves on to revision 3 before the next run: both sides differ from the record.
    await b.manager("acme").set("k/1", "three");
    await b.manager("acme").set("k/2", "three");
    await b.manager("acme").set("k/3", "two");
    const [next] = await b.engine(route).apply();
    expect(next?.plan?.actions.map((a) => [a.name, a.action, a.apply])).toEqual([
      ["k/1", "conflict", "verify"],
      ["k/2", "conflict", "verify"],
      ["k/3", "conflict", "verify"], // no record at all: the killed run was its first copy
    ]);
    expect(next?.result?.counts).toMatchObject({ updated: 2, conflictsLeft: 1, failed: 0 });
    expect((await b.manager("acme", b.target).get("k/1")).text()).toBe("three");
    expect((await b.manager("acme", b.target).get("k/3")).text()).toBe("two");
    expect((await b.rawTarget.get(acme, "k/2")).value.toString()).toBe("edited by hand");
    const [again] = await b.engine(route).plan();
    expect(again?.plan?.actions.map((a) => [a.name, a.action])).toEqual([
      ["k/1", "noop"],
      ["k/2", "conflict"],
      ["k/3", "noop"],
    ]);
  });

  it("prune: a later revision a stopped run left unrecorded is deleted with its source; a copy edited out of band is left", async () => {
    const b = await bed(["acme"]);
    const acme = b.tenants[0] as never;
    for (const n of ["d/1", "d/2"]) await b.manager("acme").set(n, `${n} one`);
    await b.engine().apply();
    // Revision 2 of d/1 reaches the mirror and the run dies before recording it.
    await b.manager("acme").set("d/1", "d/1 two");
    await applyDyingBeforeRecords(b);
    expect((await b.manager("acme", b.target).get("d/1")).text()).toBe("d/1 two");
    // d/2's copy is replaced by hand (bytes that are no envelope of ours); then both are deleted in the source.
    const two = await b.rawTarget.get(acme, "d/2");
    await b.rawTarget.put(acme, "d/2", Buffer.from("edited by hand"), { metadata: two.metadata });
    await b.manager("acme").delete("d/1");
    await b.manager("acme").delete("d/2");
    const [next] = await b.engine({ guard: { deleteFloor: 2 } }).apply();
    expect(next?.plan?.actions.map((a) => [a.name, a.action, a.apply])).toEqual([
      ["d/1", "drift", "verify"],
      ["d/2", "drift", "verify"],
    ]);
    expect(next?.result?.counts).toMatchObject({ deleted: 1, driftLeft: 1, failed: 0, refused: 0 });
    await expect(b.rawTarget.get(acme, "d/1")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await b.rawTarget.get(acme, "d/2")).value.toString()).toBe("edited by hand");
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
    // Configuration says the mirror is native: a failover read takes its bytes as the value once the sync
    // state's record of the copy vouches for them. Read as a primary (always envelope, whatever `pv-enc`
    // says) the same bytes are not a valid envelope.
    const blocker = join(b.dir, "not-a-dir");
    writeFileSync(blocker, "");
    const down = createFileProvider({ name: "down", dir: join(blocker, "store") });
    const failover = new SecretManager({
      tenant: parseTenantId("acme"),
      keyring: b.keyring,
      primary: down,
      mirrors: [{ provider: b.target, encryption: "native" }],
      mirrorRecord: async (mirror, name) => {
        const [r] = await b.state.recordsOf(mirror, "acme", name);
        return r && { revision: r.sourceRevision, digest: r.sourceDigest, encryption: "native", syncedAt: r.syncedAt };
      },
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
