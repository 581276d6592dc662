/**
 * One behaviour suite for every StateStore: records, journal, runs, leases. `place()` makes a fresh,
 * empty location (a SQLite file, a PostgreSQL database) and returns a function that opens another store
 * on it, as another process would: leases are checked across such stores.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_LEASE_MS, SignedStateStore, type StateStore, type SyncRecord, deriveStateKey } from "../src/index.js";

export type Place = () => Promise<() => Promise<StateStore>>;

const rec = (name: string, over: Partial<SyncRecord> = {}): SyncRecord => ({
  route: "r1",
  target: "mirror",
  tenant: "acme",
  name,
  sourceDigest: `digest-${name}`,
  sourceRevision: 1,
  targetVersion: "v1",
  syncedAt: new Date(1_700_000_000_123),
  ...over,
});

export function stateStoreSuite(label: string, place: Place): void {
  describe(`${label}: the StateStore behaviours`, () => {
    const opened: StateStore[] = [];
    const open = async (): Promise<{ store: StateStore; another: () => Promise<StateStore> }> => {
      const openOne = await place();
      const track = async () => {
        const s = await openOne();
        opened.push(s);
        return s;
      };
      return { store: await track(), another: track };
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it("records: upsert inserts then updates in place, scoped by route, target and tenant; remove; lastSynced", async () => {
      const { store, another } = await open();
      await store.upsert(rec("a"));
      await store.upsert(rec("b", { sourceRevision: 2 ** 40 }));
      await store.upsert(rec("a", { sourceDigest: "d2", sourceRevision: 7, targetVersion: "v9", syncedAt: new Date(1_700_000_100_456) }));
      await store.upsert(rec("a", { route: "r2" }));
      await store.upsert(rec("a", { target: "other" }));
      await store.upsert(rec("a", { tenant: "globex" }));
      const got = await (await another()).records("r1", "mirror", "acme");
      expect([...got.keys()].sort()).toEqual(["a", "b"]);
      expect(got.get("a")).toEqual(rec("a", { sourceDigest: "d2", sourceRevision: 7, targetVersion: "v9", syncedAt: new Date(1_700_000_100_456) }));
      expect(got.get("b")?.sourceRevision).toBe(2 ** 40);
      expect((await store.lastSynced("mirror", "acme", "a"))?.getTime()).toBe(1_700_000_100_456);
      expect((await store.lastSynced("mirror", "acme", "b"))?.getTime()).toBe(1_700_000_000_123);
      expect(await store.lastSynced("mirror", "nobody", "a")).toBeUndefined();
      expect((await store.recordsOf("mirror", "acme", "a")).map((r) => r.route).sort()).toEqual(["r1", "r2"]);
      await store.remove("r1", "mirror", "acme", "a");
      await store.remove("r1", "mirror", "acme", "never-there");
      expect([...(await store.records("r1", "mirror", "acme")).keys()]).toEqual(["b"]);
      expect((await store.records("r2", "mirror", "acme")).size).toBe(1);
    });

    it("journal: begun entries are pending (by route, in order) until ended done or failed", async () => {
      const { store, another } = await open();
      const base = { runId: "run-1", target: "mirror", tenant: "acme" };
      const a = await store.journalBegin({ ...base, route: "r1", name: "a", action: "create", sourceDigest: "d-a" });
      const b = await store.journalBegin({ ...base, route: "r2", name: "b", action: "delete", sourceDigest: undefined });
      const c = await store.journalBegin({ ...base, route: "r1", name: "c", action: "update", sourceDigest: "d-c" });
      expect(a).toBeLessThan(b);
      expect(b).toBeLessThan(c);
      const other = await another();
      expect((await other.pendingJournal()).map((e) => e.name)).toEqual(["a", "b", "c"]);
      const r1 = await other.pendingJournal("r1");
      expect(r1.map((e) => [e.id, e.name, e.action, e.sourceDigest, e.state, e.runId])).toEqual([
        [a, "a", "create", "d-a", "begun", "run-1"],
        [c, "c", "update", "d-c", "begun", "run-1"],
      ]);
      expect(r1[0]?.at).toBeInstanceOf(Date);
      expect((await other.pendingJournal("r2"))[0]?.sourceDigest).toBeUndefined();
      await store.journalEnd(a, "done");
      await store.journalEnd(b, "failed", "UNAVAILABLE");
      expect((await other.pendingJournal()).map((e) => e.id)).toEqual([c]);
      expect(await other.pendingJournal("r2")).toEqual([]);
    });

    it("runs: the last run per route, the newest first, a run id recorded twice replaced", async () => {
      const { store } = await open();
      const run = (runId: string, route: string, finished: number, ok = true) => ({
        runId,
        route,
        startedAt: new Date(finished - 500),
        finishedAt: new Date(finished),
        ok,
        counts: { created: finished % 7, failed: ok ? 0 : 1 },
      });
      await store.recordRun(run("1", "r1", 1_000_000));
      await store.recordRun(run("2", "r2", 2_000_000, false));
      await store.recordRun(run("3", "r1", 3_000_000));
      await store.recordRun(run("1", "r1", 4_000_000, false));
      expect(await store.lastRun("r1")).toEqual(run("1", "r1", 4_000_000, false));
      expect(await store.lastRun("r2")).toEqual(run("2", "r2", 2_000_000, false));
      expect(await store.lastRun("none")).toBeUndefined();
      expect((await store.lastRuns()).map((r) => r.runId)).toEqual(["1", "3", "2"]);
      expect((await store.lastRuns(2)).map((r) => r.runId)).toEqual(["1", "3"]);
    });

    it("leases: one holder across stores; renew, release only by the holder, expiry, takeover", async () => {
      const { store, another } = await open();
      const other = await another();
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(true);
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(true); // renewal
      expect(await other.tryLease("route:x", "B", 60_000)).toBe(false);
      expect(await other.leaseHolder("route:x")).toBe("A");
      await other.releaseLease("route:x", "B"); // not B's: nothing changes
      expect(await other.leaseHolder("route:x")).toBe("A");
      expect(await other.tryLease("route:y", "B", 60_000)).toBe(true); // another name is independent
      await store.releaseLease("route:x", "A");
      expect(await other.leaseHolder("route:x")).toBeUndefined();
      expect(await other.tryLease("route:x", "B", 60_000)).toBe(true);
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(false); // held: B's lease has a minute left
      // Expiry: B renews for 200 ms; wait for the event (no holder), not for a guessed time.
      expect(await other.tryLease("route:x", "B", 200)).toBe(true);
      while ((await store.leaseHolder("route:x")) !== undefined) await sleep(20);
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(true);
      expect(await other.takeOverLease("route:x", "someone-else", "B", 60_000)).toBe(false);
      expect(await store.leaseHolder("route:x")).toBe("A");
      expect(await other.takeOverLease("route:x", "A", "B", 60_000)).toBe(true);
      expect(await store.leaseHolder("route:x")).toBe("B");
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(false);
      expect(await store.takeOverLease("route:never", "A", "B", 60_000)).toBe(false);
    });

    it("signed records: a record without a valid MAC is ignored, kept, and counted; a tampered field fails the MAC", async () => {
      const { store, another } = await open();
      const key = deriveStateKey(Buffer.alloc(32, 7));
      const signed = new SignedStateStore(store, key);
      await signed.upsert(rec("good"));
      await store.upsert(rec("forged")); // written straight to the store: no MAC
      const raw = await (await another()).records("r1", "mirror", "acme");
      await store.upsert({ ...(raw.get("good") as SyncRecord), name: "copied" }); // a valid MAC moved to another name
      await store.upsert({ ...(raw.get("good") as SyncRecord), targetVersion: "v2" }); // a field changed under the MAC
      await signed.upsert(rec("good2"));
      expect([...(await signed.records("r1", "mirror", "acme")).keys()]).toEqual(["good2"]);
      expect(await signed.unauthenticated("r1", "mirror", "acme")).toBe(3);
      expect((await store.records("r1", "mirror", "acme")).size).toBe(4);
      expect(await signed.lastSynced("mirror", "acme", "forged")).toBeUndefined();
      expect(await new SignedStateStore(store, deriveStateKey(Buffer.alloc(32, 8))).records("r1", "mirror", "acme")).toEqual(new Map());
    });

    it("signed recordsOf one secret (failover reads; cached where the store can tell) answers what the store holds now", async () => {
      const { store, another } = await open();
      const key = deriveStateKey(Buffer.alloc(32, 7));
      const signed = new SignedStateStore(store, key);
      const digestOf = async () => (await signed.recordsOf("mirror", "acme", "a")).map((r) => r.sourceDigest);
      await signed.upsert(rec("a"));
      expect(await digestOf()).toEqual(["digest-a"]);
      expect(await digestOf()).toEqual(["digest-a"]);
      // Written through this store, then through another one (another connection: another process or gateway).
      await signed.upsert(rec("a", { sourceDigest: "d2", sourceRevision: 2 }));
      expect(await digestOf()).toEqual(["d2"]);
      const other = new SignedStateStore(await another(), key);
      await other.upsert(rec("a", { sourceDigest: "d3", sourceRevision: 3 }));
      expect(await digestOf()).toEqual(["d3"]);
      // A row changed under its MAC by someone holding no key: no record vouches for the copy any more.
      const raw = (await store.records("r1", "mirror", "acme")).get("a") as SyncRecord;
      await (await another()).upsert({ ...raw, sourceDigest: "forged" });
      expect(await digestOf()).toEqual([]);
      await other.remove("r1", "mirror", "acme", "a");
      expect(await digestOf()).toEqual([]);
      await other.upsert(rec("a", { sourceDigest: "d4", sourceRevision: 4 }));
      expect(await digestOf()).toEqual(["d4"]);
      // The caller may sort what it gets: that does not reorder what the next caller gets.
      await signed.upsert(rec("a", { route: "r2", sourceDigest: "d5", syncedAt: new Date(1_800_000_000_000) }));
      const first = await signed.recordsOf("mirror", "acme", "a");
      const order = first.map((r) => r.route);
      first.reverse();
      expect((await signed.recordsOf("mirror", "acme", "a")).map((r) => r.route)).toEqual(order);
    });

    it("leases: a TTL over MAX_LEASE_MS is refused; the holder's start is kept across renewals", async () => {
      const { store } = await open();
      await expect(store.tryLease("route:x", "A", MAX_LEASE_MS + 1)).rejects.toThrow(/at most/);
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(true);
      const first = await store.leaseInfo("route:x");
      expect(first?.holder).toBe("A");
      await sleep(20);
      expect(await store.tryLease("route:x", "A", 60_000)).toBe(true);
      expect((await store.leaseInfo("route:x"))?.since?.getTime()).toBe(first?.since?.getTime());
    });

    it("journalNames: names with done entries of one route, target and tenant since a time, by action", async () => {
      const { store } = await open();
      const base = { runId: "r", route: "r1", target: "mirror", tenant: "acme", sourceDigest: undefined };
      const since = new Date(Date.now() - 1000);
      for (const [name, action, end] of [
        ["a", "delete", "done"],
        ["b", "delete", "failed"],
        ["c", "update", "done"],
        ["d", "delete", undefined],
      ] as const) {
        const id = await store.journalBegin({ ...base, name, action });
        if (end) await store.journalEnd(id, end);
      }
      await store.journalEnd(await store.journalBegin({ ...base, tenant: "other", name: "e", action: "delete" }), "done");
      await store.journalEnd(await store.journalBegin({ ...base, name: "c", action: "update" }), "done"); // c again: one name
      expect(await store.journalNames("r1", "mirror", "acme", ["delete"], since)).toEqual(new Set(["a"]));
      expect(await store.journalNames("r1", "mirror", "acme", ["delete", "update"], since)).toEqual(new Set(["a", "c"]));
      expect(await store.journalNames("r1", "mirror", "acme", ["delete"], new Date(Date.now() + 60_000))).toEqual(new Set());
    });

    it("concurrent tryLease from several stores: exactly one wins, every round", async () => {
      const { store, another } = await open();
      const stores = [store, ...(await Promise.all(Array.from({ length: 5 }, () => another())))];
      for (let round = 0; round < 10; round++) {
        const won = await Promise.all(stores.map((s, i) => s.tryLease(`race:${round}`, `owner-${i}`, 60_000)));
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await store.leaseHolder(`race:${round}`)).toBe(`owner-${won.indexOf(true)}`);
      }
    });
  });
}
