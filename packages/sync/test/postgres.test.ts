import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidInputError, UnavailableError } from "@polyvault/core";
import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { PgStateStore, SignedStateStore, SqliteStateStore, deriveStateKey } from "../src/index.js";
import { MIGRATIONS, migrate } from "../src/state/pg-migrations.js";
import { startCluster } from "../../../test/pg/cluster.mjs";
import { useCluster } from "./pg-helpers.js";
import { stateStoreSuite } from "./state-suite.js";

const cluster = useCluster();

// The same behaviours, on both stores: the PostgreSQL store is a drop-in for the embedded one.
stateStoreSuite("SQLite", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "pv-state-")), "state.db");
  return async () => new SqliteStateStore(file);
});
stateStoreSuite("PostgreSQL", async () => {
  const url = cluster().createDatabase();
  return () => PgStateStore.open(url);
});

async function sql<T extends Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

describe("PostgreSQL state store: opening and migrations", () => {
  it("refuses a URL that is not postgres:// or postgresql://, naming what it got", async () => {
    await expect(PgStateStore.open("mysql://x@127.0.0.1/db")).rejects.toThrow(
      new InvalidInputError(`state must be "sqlite" or a postgres:// or postgresql:// URL, got 'mysql://x@127.0.0.1/db'`),
    );
  });

  it("an unreachable server is UNAVAILABLE, and the message never carries the password", async () => {
    const err = await PgStateStore.open("postgresql://pv:canary-Pa55word@127.0.0.1:1/db").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/^cannot open the PostgreSQL state store at postgresql:\/\/pv:\*\*\*@127\.0\.0\.1:1\/db: /);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain("canary-Pa55word");
  });

  it("eight gateways starting at once on an empty database apply each migration exactly once", async () => {
    const url = cluster().createDatabase();
    const stores = await Promise.all(Array.from({ length: 8 }, () => PgStateStore.open(url, { max: 2 })));
    const rows = await sql<{ version: number }>(url, "SELECT version FROM pv_migrations ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await stores[0]?.upsert({
      route: "r",
      target: "t",
      tenant: "a",
      name: "n",
      sourceDigest: "d",
      sourceRevision: 1,
      targetVersion: "v",
      syncedAt: new Date(),
    });
    for (const s of stores) await s.close();
    const again = await PgStateStore.open(url); // reopening applies nothing and keeps the data
    expect((await again.records("r", "t", "a")).size).toBe(1);
    expect(await sql(url, "SELECT version FROM pv_migrations")).toHaveLength(MIGRATIONS.length);
    await again.close();
  });

  it("a database migrated by a newer Polyvault is refused, and nothing is changed", async () => {
    const url = cluster().createDatabase();
    await (await PgStateStore.open(url)).close();
    await sql(url, "INSERT INTO pv_migrations (version, description) VALUES (99, 'from the future')");
    const before = await sql(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'pv\\_%'");
    await expect(PgStateStore.open(url)).rejects.toThrow(
      new InvalidInputError("the state database has schema version 99, newer than this Polyvault knows (2): upgrade Polyvault"),
    );
    expect(await sql(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'pv\\_%'")).toEqual(before);
    expect((await sql<{ v: number }>(url, "SELECT max(version) AS v FROM pv_migrations"))[0]?.v).toBe(99);
  });

  it("a database that goes away mid-life: every call fails with UNAVAILABLE (retryable), nothing crashes", async () => {
    const own = await startCluster({ fsync: false });
    const s = await PgStateStore.open(own.createDatabase());
    expect(await s.tryLease("l", "A", 60_000)).toBe(true);
    own.stop();
    await sleep(200);
    for (const call of [() => s.records("r", "t", "a"), () => s.pendingJournal(), () => s.tryLease("l", "A", 60_000), () => s.leaseHolder("l")]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).retryable).toBe(true);
      expect((err as Error).message).toMatch(/^the PostgreSQL state store is unavailable: /);
    }
    await s.close();
  });

  it("a lease TTL that is not a positive number is refused before anything is written", async () => {
    const s = await PgStateStore.open(cluster().createDatabase());
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(s.tryLease("l", "A", bad)).rejects.toThrow(new InvalidInputError(`a lease TTL must be a positive number of milliseconds, got ${bad}`));
      await expect(s.takeOverLease("l", "A", "B", bad)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await s.pool.query("SELECT * FROM pv_leases").then((r) => r.rowCount)).toBe(0);
    await s.close();
  });
});

describe("issue 16.4 on PostgreSQL: someone with database access but no master key", () => {
  it("a lease row rewritten to expire in ten years (its holder alive) holds nothing; status still names a real holder", async () => {
    const url = cluster().createDatabase();
    const [a, b] = await Promise.all([PgStateStore.open(url), PgStateStore.open(url)]);
    if (!a || !b) throw new Error("unreachable");
    expect(await a.tryLease("route:x", "A", 60_000)).toBe(true);
    expect((await b.leaseInfo("route:x"))?.holder).toBe("A");
    await sql(url, "UPDATE pv_leases SET expires_at = now() + interval '10 years'");
    expect(await b.leaseHolder("route:x")).toBeUndefined();
    expect(await b.tryLease("route:x", "B", 60_000)).toBe(true);
    await a.close();
    await b.close();
  });

  it("state from schema 1 is migrated: its records have no MAC, so a signed store ignores them until re-verified", async () => {
    const url = cluster().createDatabase();
    const c = new Client({ connectionString: url });
    await c.connect();
    await migrate(c as never, MIGRATIONS.slice(0, 1));
    await c.query("INSERT INTO pv_records VALUES ('r', 't', 'a', 'old', 'd', 1, 'v', now())");
    await c.end();
    const raw = await PgStateStore.open(url);
    expect(await sql(url, "SELECT version FROM pv_migrations ORDER BY version")).toEqual([{ version: 1 }, { version: 2 }]);
    expect((await raw.records("r", "t", "a")).get("old")?.mac).toBeUndefined();
    const signed = new SignedStateStore(raw, deriveStateKey(Buffer.alloc(32, 1)));
    expect((await signed.records("r", "t", "a")).size).toBe(0);
    expect(await signed.unauthenticated("r", "t", "a")).toBe(1);
    await signed.close();
  });
});

describe("PostgreSQL leases: a dead holder's lease is free at once, a live one's only when it expires", () => {
  it("closing the holder's store (its connection ends) frees its leases long before their TTL", async () => {
    const url = cluster().createDatabase();
    const [a, b] = await Promise.all([PgStateStore.open(url), PgStateStore.open(url)]);
    if (!a || !b) throw new Error("unreachable");
    expect(await a.tryLease("route:x", "A", 600_000)).toBe(true);
    expect(await b.tryLease("route:x", "B", 600_000)).toBe(false);
    await a.close();
    expect(await b.leaseHolder("route:x")).toBeUndefined();
    expect(await b.tryLease("route:x", "B", 600_000)).toBe(true);
    await b.close();
  });

  it("a holder whose connection is cut by the server reconnects and renews its own lease", async () => {
    const url = cluster().createDatabase();
    const [a, b] = await Promise.all([PgStateStore.open(url), PgStateStore.open(url)]);
    if (!a || !b) throw new Error("unreachable");
    expect(await a.tryLease("route:x", "A", 600_000)).toBe(true);
    await sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'polyvault-liveness' AND pid <> pg_backend_pid()");
    // A's liveness session is gone (the server ends it asynchronously), so the lease is up for grabs
    // until A renews; A's renewal wins it back. A reconnects only on its own next lease call.
    await expect.poll(() => b.leaseHolder("route:x"), { timeout: 10_000, interval: 50 }).toBeUndefined();
    expect(await a.tryLease("route:x", "A", 600_000)).toBe(true);
    expect(await b.tryLease("route:x", "B", 600_000)).toBe(false);
    expect(await b.leaseHolder("route:x")).toBe("A");
    await a.close();
    await b.close();
  });
});
