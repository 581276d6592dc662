/**
 * The embedded state store: one SQLite file in the data directory (better-sqlite3, WAL mode). Safe
 * across processes: SQLite's own file locking, a busy timeout, and leases in a table.
 */
import { closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { JournalEntry, RunSummary, StateStore, SyncRecord } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  route TEXT NOT NULL, target TEXT NOT NULL, tenant TEXT NOT NULL, name TEXT NOT NULL,
  source_digest TEXT NOT NULL, source_revision INTEGER NOT NULL, target_version TEXT NOT NULL, synced_at INTEGER NOT NULL,
  PRIMARY KEY (route, target, tenant, name));
CREATE INDEX IF NOT EXISTS records_target_tenant ON records (target, tenant, synced_at);
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

interface RecordRow {
  route: string;
  target: string;
  tenant: string;
  name: string;
  source_digest: string;
  source_revision: number;
  target_version: string;
  synced_at: number;
}

export class SqliteStateStore implements StateStore {
  readonly local = true;
  readonly #db: Database.Database;

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
    this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1')").run();
  }

  async records(route: string, target: string, tenant: string): Promise<Map<string, SyncRecord>> {
    const rows = this.#db.prepare("SELECT * FROM records WHERE route = ? AND target = ? AND tenant = ?").all(route, target, tenant) as RecordRow[];
    return new Map(rows.map((r) => [r.name, toRecord(r)]));
  }

  async upsert(r: SyncRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO records (route, target, tenant, name, source_digest, source_revision, target_version, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (route, target, tenant, name) DO UPDATE SET source_digest = excluded.source_digest, source_revision = excluded.source_revision,
         target_version = excluded.target_version, synced_at = excluded.synced_at`,
      )
      .run(r.route, r.target, r.tenant, r.name, r.sourceDigest, r.sourceRevision, r.targetVersion, r.syncedAt.getTime());
  }

  async remove(route: string, target: string, tenant: string, name: string): Promise<void> {
    this.#db.prepare("DELETE FROM records WHERE route = ? AND target = ? AND tenant = ? AND name = ?").run(route, target, tenant, name);
  }

  async lastSynced(target: string, tenant: string): Promise<Date | undefined> {
    const row = this.#db.prepare("SELECT MAX(synced_at) AS t FROM records WHERE target = ? AND tenant = ?").get(target, tenant) as { t: number | null };
    return row.t === null ? undefined : new Date(row.t);
  }

  async journalBegin(e: Omit<JournalEntry, "id" | "state" | "at">): Promise<number> {
    const r = this.#db
      .prepare("INSERT INTO journal (run_id, route, target, tenant, name, action, source_digest, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, 'begun', ?)")
      .run(e.runId, e.route, e.target, e.tenant, e.name, e.action, e.sourceDigest ?? null, Date.now());
    return Number(r.lastInsertRowid);
  }

  async journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void> {
    this.#db.prepare("UPDATE journal SET state = ?, at = ?, detail = ? WHERE id = ?").run(state, Date.now(), detail ?? null, id);
  }

  async pendingJournal(route?: string): Promise<JournalEntry[]> {
    const rows = (route === undefined
      ? this.#db.prepare("SELECT * FROM journal WHERE state = 'begun' ORDER BY id").all()
      : this.#db.prepare("SELECT * FROM journal WHERE state = 'begun' AND route = ? ORDER BY id").all(route)) as Array<Record<string, unknown>>;
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
    this.#db
      .prepare("INSERT OR REPLACE INTO runs (run_id, route, started_at, finished_at, ok, counts) VALUES (?, ?, ?, ?, ?, ?)")
      .run(run.runId, run.route, run.startedAt.getTime(), run.finishedAt.getTime(), run.ok ? 1 : 0, JSON.stringify(run.counts));
  }

  async lastRuns(limit = 20): Promise<RunSummary[]> {
    return (this.#db.prepare("SELECT * FROM runs ORDER BY finished_at DESC LIMIT ?").all(limit) as Array<Record<string, unknown>>).map(toRun);
  }

  async lastRun(route: string): Promise<RunSummary | undefined> {
    const r = this.#db.prepare("SELECT * FROM runs WHERE route = ? ORDER BY finished_at DESC LIMIT 1").get(route) as Record<string, unknown> | undefined;
    return r ? toRun(r) : undefined;
  }

  async tryLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const take = this.#db.transaction(() => {
      const row = this.#db.prepare("SELECT owner, expires_at FROM leases WHERE name = ?").get(name) as { owner: string; expires_at: number } | undefined;
      if (row && row.owner !== owner && row.expires_at > now) return false;
      this.#db.prepare("INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at").run(name, owner, now + ttlMs);
      return true;
    });
    return take.immediate();
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#db.prepare("DELETE FROM leases WHERE name = ? AND owner = ?").run(name, owner);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    const row = this.#db.prepare("SELECT owner FROM leases WHERE name = ? AND expires_at > ?").get(name, Date.now()) as { owner: string } | undefined;
    return row?.owner;
  }

  async takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = this.#db.prepare("UPDATE leases SET owner = ?, expires_at = ? WHERE name = ? AND owner = ?").run(owner, Date.now() + ttlMs, name, from);
    return r.changes === 1;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

function toRecord(r: RecordRow): SyncRecord {
  return {
    route: r.route,
    target: r.target,
    tenant: r.tenant,
    name: r.name,
    sourceDigest: r.source_digest,
    sourceRevision: r.source_revision,
    targetVersion: r.target_version,
    syncedAt: new Date(r.synced_at),
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
