/**
 * The failover read's record lookup (record-cache.ts): a SQLite store answers one secret's records from
 * memory until anything commits to it, by this connection, another one or another process; a store that
 * cannot tell (no recordsVersion: PostgreSQL) is asked every time. The behaviour itself (always what the
 * store holds now) is in state-suite.ts, for both stores.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SignedStateStore, SqliteStateStore, type StateStore, type SyncRecord, deriveStateKey } from "../src/index.js";

const key = deriveStateKey(Buffer.alloc(32, 3));
const rec = (over: Partial<SyncRecord> = {}): SyncRecord => ({
  route: "r",
  target: "mirror",
  tenant: "acme",
  name: "db/url",
  sourceDigest: "d1",
  sourceRevision: 1,
  targetVersion: "v1",
  syncedAt: new Date(1_700_000_000_000),
  ...over,
});

/** The store with its recordsOf calls counted. */
function counted(inner: StateStore): { store: StateStore; calls: () => number } {
  let n = 0;
  const store = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (prop === "recordsOf")
        return (...a: Parameters<StateStore["recordsOf"]>) => {
          n++;
          return target.recordsOf(...a);
        };
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, calls: () => n };
}

describe("failover record lookups", () => {
  it("SQLite: one secret's records are read from the database once, until a commit", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pv-rc-")), "state.db");
    const sqlite = new SqliteStateStore(file);
    const { store, calls } = counted(sqlite);
    const signed = new SignedStateStore(store, key);
    await signed.upsert(rec());
    for (let i = 0; i < 5; i++) expect((await signed.recordsOf("mirror", "acme", "db/url")).map((r) => r.sourceDigest)).toEqual(["d1"]);
    expect(calls()).toBe(1);
    await signed.recordsOf("mirror", "acme", "other");
    expect(calls()).toBe(2);
    // A journal entry is a commit too: the cache is emptied even though no record changed.
    const other = new SqliteStateStore(file);
    await other.journalBegin({ runId: "x", route: "r", target: "mirror", tenant: "acme", name: "n", action: "create", sourceDigest: undefined });
    await signed.recordsOf("mirror", "acme", "db/url");
    expect(calls()).toBe(3);
    // Tenant-wide lookups are never cached.
    await signed.recordsOf("mirror", "acme");
    await signed.recordsOf("mirror", "acme");
    expect(calls()).toBe(5);
    await other.close();
    await signed.close();
  });

  it("SQLite: a record written by another process is seen at the next lookup", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pv-rc-")), "state.db");
    const signed = new SignedStateStore(new SqliteStateStore(file), key);
    await signed.upsert(rec());
    expect((await signed.recordsOf("mirror", "acme", "db/url"))[0]?.sourceRevision).toBe(1);
    const dist = new URL("../dist/index.js", import.meta.url).pathname;
    const script = `
      const { SignedStateStore, SqliteStateStore } = await import(${JSON.stringify(dist)});
      const s = new SignedStateStore(new SqliteStateStore(${JSON.stringify(file)}), Buffer.from(${JSON.stringify(key.toString("hex"))}, "hex"));
      await s.upsert({ ...${JSON.stringify({ ...rec(), sourceDigest: "d2", sourceRevision: 2 })}, syncedAt: new Date(1_700_000_000_000) });
      await s.close();`;
    execFileSync(process.execPath, ["--input-type=module", "-e", script]);
    expect((await signed.recordsOf("mirror", "acme", "db/url")).map((r) => [r.sourceRevision, r.sourceDigest])).toEqual([[2, "d2"]]);
    await signed.close();
  });

  it("a store without recordsVersion (PostgreSQL) is asked at every lookup", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pv-rc-")), "state.db");
    const sqlite = new SqliteStateStore(file);
    const { store, calls } = counted(sqlite);
    const noVersion = new Proxy(store, { get: (t, p) => (p === "recordsVersion" ? undefined : Reflect.get(t, p, t)) });
    const signed = new SignedStateStore(noVersion, key);
    await signed.upsert(rec());
    for (let i = 0; i < 3; i++) await signed.recordsOf("mirror", "acme", "db/url");
    expect(calls()).toBe(3);
    await signed.close();
  });
});
