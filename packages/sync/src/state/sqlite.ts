/**
 * The embedded state store: one SQLite file in the data directory (better-sqlite3, WAL mode). Safe
 * across processes: SQLite's own file locking, a busy timeout, and leases in a table.
 */
import { closeSync, openSync } from "node:fs";
import { InvalidInputError } from "@polyvault/core";
import Database from "better-sqlite3";
import { checkLeaseTtl } from "./lease-ttl.js";
import { type JournalAction, type JournalEntry, type LeaseInfo, MAX_LEASE_MS, type RunSummary, type StateStore, type SyncRecord } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  route TEXT NOT NULL, target TEXT NOT NULL, tenant TEXT NOT NULL, name TEXT NOT NULL,
  source_digest TEXT NOT NULL, source_revision INTEGER NOT NULL, target_version TEXT NOT NULL, synced_at INTEGER NOT NULL,
  PRIMARY KEY (route, target, tenant, name));
CREATE INDEX IF NOT EXISTS records_target_tenant ON records (target, tenant, synced_at);
CREATE INDEX IF NOT EXISTS records_target_tenant_name ON records (target, tenant, name);
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, route TEXT NOT NULL, target TEXT NOT NULL,
  tenant TEXT NOT NULL, name TEXT NOT NULL, action TEXT NOT NULL, source_digest TEXT,
  state TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT);
CREATE INDEX IF NOT EXISTS journal_pending ON journal (state) WHERE state = 'begun';
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, route TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL,
  ok INTEGER NOT NULL, counts TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_route ON runs (route, finished_at);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL);
`;

/**
 * Schema 2: records carry a MAC (signed.ts; rows from schema 1 have none and are ignored until the
 * planner re-verifies them against the providers), leases say since when their holder has held them.
 */
const MIGRATE_2 = `
ALTER TABLE records ADD COLUMN mac TEXT;
ALTER TABLE leases ADD COLUMN taken_at INTEGER;
CREATE INDEX IF NOT EXISTS journal_route_at ON journal (route, target, tenant, at);
`;

interface RecordRow {
  route: string;
  target: string;
  tenant: string;
  name: string;
  source_digest: string;
  source_revision: number;
  target_version: string;
  synced_at: number;
  mac: string | null;
}

export class SqliteStateStore implements StateStore {
  readonly local = true;
  readonly #db: Database.Database;
  /** Prepared once per connection: a statement's SQL is parsed on its first use only. */
  readonly #statements = new Map<string, Database.Statement>();
  /** Record writes through this connection (PRAGMA data_version counts only other connections'). */
  #recordWrites = 0;

  #dataVersion: Database.Statement | undefined;

  constructor(readonly path: string) {
    // SQLite gives its -wal and -shm files the database file's mode: create it private first.
    closeSync(openSync(path, "a", 0o600));
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a commit survives a process crash (SIGKILL) but may be lost on power loss.
    // That is safe here: the next plan is computed from the providers themselves, so a lost record
    // only turns into "same digest: record it" (docs/sync.md). FULL would fsync every journal entry.
    this.#db.pragma("synchronous = NORMAL");
    this.#db.pragma("busy_timeout = 10000");
    this.#db.exec(SCHEMA);
    this.#db
      .transaction(() => {
        this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1')").run();
        const version = Number((this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value);
        if (version > 2) throw new InvalidInputError(`${path} has state schema version ${version}, newer than this Polyvault knows (2): upgrade Polyvault`);
        if (version < 2) {
          this.#db.exec(MIGRATE_2);
          this.#db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema'").run();
        }
      })
      .immediate();
  }

  #prepare(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Changes after any commit to the records, by this connection or any other (another process's included). */
  recordsVersion(): string {
    this.#dataVersion ??= this.#db.prepare("PRAGMA data_version").pluck();
    return `${this.#recordWrites}:${this.#dataVersion.get()}`;
  }

  async records(route: string, target: string, tenant: string): Promise<Map<string, SyncRecord>> {
    // Row by row into the map: a tenant of 100,000 records is never also held as an array of rows.
    const out = new Map<string, SyncRecord>();
    for (const r of this.#prepare("SELECT * FROM records WHERE route = ? AND target = ? AND tenant = ?").iterate(route, target, tenant) as Iterable<RecordRow>)
      out.set(r.name, toRecord(r, { route, target, tenant }));
    return out;
  }

  async upsert(r: SyncRecord): Promise<void> {
    this.#recordWrites++;
    this.#prepare(
      `INSERT INTO records (route, target, tenant, name, source_digest, source_revision, target_version, synced_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (route, target, tenant, name) DO UPDATE SET source_digest = excluded.source_digest, source_revision = excluded.source_revision,
         target_version = excluded.target_version, synced_at = excluded.synced_at, mac = excluded.mac`,
    ).run(r.route, r.target, r.tenant, r.name, r.sourceDigest, r.sourceRevision, r.targetVersion, r.syncedAt.getTime(), r.mac ?? null);
  }

  async remove(route: string, target: string, tenant: string, name: string): Promise<void> {
    this.#recordWrites++;
    this.#prepare("DELETE FROM records WHERE route = ? AND target = ? AND tenant = ? AND name = ?").run(route, target, tenant, name);
  }

  async recordsOf(target: string, tenant: string, name?: string): Promise<SyncRecord[]> {
    const rows = (
      name === undefined
        ? this.#prepare("SELECT * FROM records WHERE target = ? AND tenant = ?").all(target, tenant)
        : this.#prepare("SELECT * FROM records WHERE target = ? AND tenant = ? AND name = ?").all(target, tenant, name)
    ) as RecordRow[];
    return rows.map((r) => toRecord(r));
  }

  /** Unverified: a signed store (signed.ts) answers from authenticated records only. */
  async lastSynced(target: string, tenant: string, name?: string): Promise<Date | undefined> {
    const times = (await this.recordsOf(target, tenant, name)).map((r) => r.syncedAt.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }

  async journalNames(route: string, target: string, tenant: string, actions: readonly JournalAction[], since: Date): Promise<Set<string>> {
    if (!actions.length) return new Set();
    const rows = this.#prepare(
      `SELECT DISTINCT name FROM journal WHERE route = ? AND target = ? AND tenant = ? AND at >= ? AND state = 'done' AND action IN (${actions.map(() => "?").join(", ")})`,
    ).all(route, target, tenant, since.getTime(), ...actions) as Array<{ name: string }>;
    return new Set(rows.map((r) => r.name));
  }

  async journalBegin(e: Omit<JournalEntry, "id" | "state" | "at">): Promise<number> {
    const r = this.#prepare(
      "INSERT INTO journal (run_id, route, target, tenant, name, action, source_digest, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, 'begun', ?)",
    ).run(e.runId, e.route, e.target, e.tenant, e.name, e.action, e.sourceDigest ?? null, Date.now());
    return Number(r.lastInsertRowid);
  }

  async journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void> {
    this.#prepare("UPDATE journal SET state = ?, at = ?, detail = ? WHERE id = ?").run(state, Date.now(), detail ?? null, id);
  }

  async pendingJournal(route?: string): Promise<JournalEntry[]> {
    const rows = (
      route === undefined
        ? this.#prepare("SELECT * FROM journal WHERE state = 'begun' ORDER BY id").all()
        : this.#prepare("SELECT * FROM journal WHERE state = 'begun' AND route = ? ORDER BY id").all(route)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      runId: r.run_id as string,
      route: r.route as string,
      target: r.target as string,
      tenant: r.tenant as string,
      name: r.name as string,
      action: r.action as JournalEntry["action"],
      sourceDigest: (r.source_digest as string | null) ?? undefined,
      state: "begun",
      at: new Date(r.at as number),
    }));
  }

  async recordRun(run: RunSummary): Promise<void> {
    this.#prepare("INSERT OR REPLACE INTO runs (run_id, route, started_at, finished_at, ok, counts) VALUES (?, ?, ?, ?, ?, ?)").run(
      run.runId,
      run.route,
      run.startedAt.getTime(),
      run.finishedAt.getTime(),
      run.ok ? 1 : 0,
      JSON.stringify(run.counts),
    );
  }

  async lastRuns(limit = 20): Promise<RunSummary[]> {
    return (this.#prepare("SELECT * FROM runs ORDER BY finished_at DESC LIMIT ?").all(limit) as Array<Record<string, unknown>>).map(toRun);
  }

  async lastRun(route: string): Promise<RunSummary | undefined> {
    const r = this.#prepare("SELECT * FROM runs WHERE route = ? ORDER BY finished_at DESC LIMIT 1").get(route) as Record<string, unknown> | undefined;
    return r ? toRun(r) : undefined;
  }

  async tryLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLeaseTtl(ttlMs);
    const now = Date.now();
    const take = this.#db.transaction(() => {
      const row = this.#prepare("SELECT owner, expires_at FROM leases WHERE name = ?").get(name) as { owner: string; expires_at: number } | undefined;
      if (row && row.owner !== owner && row.expires_at > now && row.expires_at <= now + MAX_LEASE_MS) return false;
      this.#prepare(
        `INSERT INTO leases (name, owner, expires_at, taken_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET
           taken_at = CASE WHEN leases.owner = excluded.owner THEN coalesce(leases.taken_at, excluded.taken_at) ELSE excluded.taken_at END,
           owner = excluded.owner, expires_at = excluded.expires_at`,
      ).run(name, owner, now + ttlMs, now);
      return true;
    });
    return take.immediate();
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#prepare("DELETE FROM leases WHERE name = ? AND owner = ?").run(name, owner);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    return (await this.leaseInfo(name))?.holder;
  }

  async leaseInfo(name: string): Promise<LeaseInfo | undefined> {
    const now = Date.now();
    const row = this.#prepare("SELECT owner, expires_at, taken_at FROM leases WHERE name = ? AND expires_at > ? AND expires_at <= ?").get(
      name,
      now,
      now + MAX_LEASE_MS,
    ) as { owner: string; expires_at: number; taken_at: number | null } | undefined;
    return row ? { holder: row.owner, since: row.taken_at === null ? undefined : new Date(row.taken_at), expiresAt: new Date(row.expires_at) } : undefined;
  }

  async takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLeaseTtl(ttlMs);
    const now = Date.now();
    const r = this.#prepare("UPDATE leases SET owner = ?, expires_at = ?, taken_at = ? WHERE name = ? AND owner = ?").run(owner, now + ttlMs, now, name, from);
    return r.changes === 1;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** `known`: the query's own route, target and tenant, shared by every row instead of a copy in each. */
function toRecord(r: RecordRow, known?: { route: string; target: string; tenant: string }): SyncRecord {
  return {
    route: known?.route ?? r.route,
    target: known?.target ?? r.target,
    tenant: known?.tenant ?? r.tenant,
    name: r.name,
    sourceDigest: r.source_digest,
    sourceRevision: r.source_revision,
    targetVersion: r.target_version,
    syncedAt: new Date(r.synced_at),
    mac: r.mac ?? undefined,
  };
}

function toRun(r: Record<string, unknown>): RunSummary {
  return {
    runId: r.run_id as string,
    route: r.route as string,
    startedAt: new Date(r.started_at as number),
    finishedAt: new Date(r.finished_at as number),
    ok: r.ok === 1,
    counts: JSON.parse(r.counts as string) as Record<string, number>,
  };
}
