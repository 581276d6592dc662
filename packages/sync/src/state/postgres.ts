/**
 * The shared state store: PostgreSQL (node-postgres pool), for several gateways on one database. Same
 * semantics as the SQLite store. Times that decide who holds a lease come from the database's clock, so
 * gateways on hosts whose clocks disagree still agree on expiry. A lease is free when it expired or when
 * its holder's process is gone (see pg-liveness.ts); migrations run at open (see pg-migrations.ts).
 */
import { InvalidInputError, UnavailableError, isPolyvaultError } from "@polyvault/core";
import { Pool, type PoolConfig, type QueryResultRow } from "pg";
import { type KeepaliveOptions, PgLiveness, holderAliveSql } from "./pg-liveness.js";
import { migrate } from "./pg-migrations.js";
import { rowToJournal, rowToRecord, rowToRun } from "./pg-rows.js";
import { checkLeaseTtl } from "./lease-ttl.js";
import { type JournalAction, type JournalEntry, type LeaseInfo, MAX_LEASE_MS, type RunSummary, type StateStore, type SyncRecord } from "./types.js";

export interface PgStateStoreOptions {
  /** Pool size (default 10). */
  readonly max?: number | undefined;
  /** Anything else node-postgres takes (ssl, timeouts); the URL stays the source of host and database. */
  readonly pool?: Omit<PoolConfig, "connectionString"> | undefined;
  readonly keepalive?: KeepaliveOptions | undefined;
}

export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.includes("@") ? "(unparsable URL)" : url; // no credentials without an @
  }
}

/** Expiry from the database clock; `param` is the placeholder that carries the TTL in milliseconds. */
const expiry = (param: string) => `clock_timestamp() + (${param}::double precision * interval '1 millisecond')`;

/** A row that claims to run longer than MAX_LEASE_MS was not written by Polyvault: it holds nothing. */
const believable = (alias: string) => `${alias}.expires_at <= clock_timestamp() + (${MAX_LEASE_MS} * interval '1 millisecond')`;

export class PgStateStore implements StateStore {
  private constructor(
    readonly pool: Pool,
    /** Where the store is, password masked. */
    readonly location: string,
    private readonly liveness: PgLiveness,
  ) {}

  /** Connects, applies pending migrations (one process at a time), and returns the store. */
  static async open(url: string, options: PgStateStoreOptions = {}): Promise<PgStateStore> {
    if (!isPostgresUrl(url)) throw new InvalidInputError(`state must be "sqlite" or a postgres:// or postgresql:// URL, got '${redactUrl(url)}'`);
    const config: PoolConfig = {
      application_name: "polyvault",
      connectionTimeoutMillis: 10_000,
      ...options.pool,
      connectionString: url,
      max: options.max ?? 10,
    };
    const pool = new Pool(config);
    // An idle connection that breaks is dropped by the pool; the next query opens a new one.
    pool.on("error", () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (isPolyvaultError(err)) throw err;
      throw new UnavailableError(`cannot open the PostgreSQL state store at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    const { max: _max, ...clientConfig } = config;
    return new PgStateStore(pool, redactUrl(url), new PgLiveness(clientConfig, options.keepalive));
  }

  async #q<R extends QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      // SQLSTATE classes 08 (connection), 53 (resources: too many connections) and 57 (shutdown), and
      // network errors (no SQLSTATE), are outages; any other SQLSTATE is a bug here and stays as it is.
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57)/.test(code)) throw err;
      throw new UnavailableError(`the PostgreSQL state store is unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  async records(route: string, target: string, tenant: string): Promise<Map<string, SyncRecord>> {
    const rows = await this.#q("SELECT * FROM pv_records WHERE route = $1 AND target = $2 AND tenant = $3", [route, target, tenant]);
    return new Map(rows.map((r) => [r.name as string, rowToRecord(r)]));
  }

  async upsert(r: SyncRecord): Promise<void> {
    await this.#q(
      `INSERT INTO pv_records (route, target, tenant, name, source_digest, source_revision, target_version, synced_at, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (route, target, tenant, name) DO UPDATE SET source_digest = excluded.source_digest, source_revision = excluded.source_revision,
       target_version = excluded.target_version, synced_at = excluded.synced_at, mac = excluded.mac`,
      [r.route, r.target, r.tenant, r.name, r.sourceDigest, r.sourceRevision, r.targetVersion, r.syncedAt, r.mac ?? null],
    );
  }

  async remove(route: string, target: string, tenant: string, name: string): Promise<void> {
    await this.#q("DELETE FROM pv_records WHERE route = $1 AND target = $2 AND tenant = $3 AND name = $4", [route, target, tenant, name]);
  }

  async recordsOf(target: string, tenant: string, name?: string): Promise<SyncRecord[]> {
    const rows =
      name === undefined
        ? await this.#q("SELECT * FROM pv_records WHERE target = $1 AND tenant = $2", [target, tenant])
        : await this.#q("SELECT * FROM pv_records WHERE target = $1 AND tenant = $2 AND name = $3", [target, tenant, name]);
    return rows.map(rowToRecord);
  }

  /** Unverified: a signed store (signed.ts) answers from authenticated records only. */
  async lastSynced(target: string, tenant: string, name?: string): Promise<Date | undefined> {
    const times = (await this.recordsOf(target, tenant, name)).map((r) => r.syncedAt.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }

  async journalNames(route: string, target: string, tenant: string, actions: readonly JournalAction[], since: Date): Promise<Set<string>> {
    const rows = await this.#q<{ name: string }>(
      "SELECT DISTINCT name FROM pv_journal WHERE route = $1 AND target = $2 AND tenant = $3 AND at >= $4 AND state = 'done' AND action = ANY($5)",
      [route, target, tenant, since, [...actions]],
    );
    return new Set(rows.map((r) => r.name));
  }

  async journalBegin(e: Omit<JournalEntry, "id" | "state" | "at">): Promise<number> {
    const [row] = await this.#q<{ id: string }>(
      "INSERT INTO pv_journal (run_id, route, target, tenant, name, action, source_digest, state, at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'begun', clock_timestamp()) RETURNING id",
      [e.runId, e.route, e.target, e.tenant, e.name, e.action, e.sourceDigest ?? null],
    );
    return Number(row?.id);
  }

  async journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void> {
    await this.#q("UPDATE pv_journal SET state = $1, at = clock_timestamp(), detail = $2 WHERE id = $3", [state, detail ?? null, id]);
  }

  async pendingJournal(route?: string): Promise<JournalEntry[]> {
    const rows =
      route === undefined
        ? await this.#q("SELECT * FROM pv_journal WHERE state = 'begun' ORDER BY id", [])
        : await this.#q("SELECT * FROM pv_journal WHERE state = 'begun' AND route = $1 ORDER BY id", [route]);
    return rows.map(rowToJournal);
  }

  async recordRun(run: RunSummary): Promise<void> {
    await this.#q(
      `INSERT INTO pv_runs (run_id, route, started_at, finished_at, ok, counts) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id) DO UPDATE SET route = excluded.route, started_at = excluded.started_at, finished_at = excluded.finished_at, ok = excluded.ok, counts = excluded.counts`,
      [run.runId, run.route, run.startedAt, run.finishedAt, run.ok, JSON.stringify(run.counts)],
    );
  }

  async lastRuns(limit = 20): Promise<RunSummary[]> {
    return (await this.#q("SELECT * FROM pv_runs ORDER BY finished_at DESC LIMIT $1", [limit])).map(rowToRun);
  }

  async lastRun(route: string): Promise<RunSummary | undefined> {
    const [row] = await this.#q("SELECT * FROM pv_runs WHERE route = $1 ORDER BY finished_at DESC LIMIT 1", [route]);
    return row ? rowToRun(row) : undefined;
  }

  /** One statement: insert, or take over a row that is ours, expired, or held by a dead process. */
  async tryLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLeaseTtl(ttlMs);
    const holder = await this.#holder();
    const rows = await this.#q(
      `INSERT INTO pv_leases AS l (name, owner, holder, expires_at, taken_at) VALUES ($1, $2, $3, ${expiry("$4")}, clock_timestamp())
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, holder = excluded.holder, expires_at = excluded.expires_at,
         taken_at = CASE WHEN l.owner = excluded.owner THEN coalesce(l.taken_at, excluded.taken_at) ELSE excluded.taken_at END
       WHERE l.owner = excluded.owner OR l.expires_at <= clock_timestamp() OR NOT ${believable("l")} OR NOT ${holderAliveSql("l.holder")}
       RETURNING 1`,
      [name, owner, holder, ttlMs],
    );
    return rows.length === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#q("DELETE FROM pv_leases WHERE name = $1 AND owner = $2", [name, owner]);
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    return (await this.leaseInfo(name))?.holder;
  }

  async leaseInfo(name: string): Promise<LeaseInfo | undefined> {
    const [row] = await this.#q<{ owner: string; taken_at: Date | null; expires_at: Date }>(
      `SELECT owner, taken_at, expires_at FROM pv_leases l WHERE name = $1 AND expires_at > clock_timestamp() AND ${believable("l")} AND ${holderAliveSql("l.holder")}`,
      [name],
    );
    return row ? { holder: row.owner, since: row.taken_at ?? undefined, expiresAt: row.expires_at } : undefined;
  }

  async takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLeaseTtl(ttlMs);
    const holder = await this.#holder();
    const rows = await this.#q(
      `UPDATE pv_leases SET owner = $3, holder = $4, expires_at = ${expiry("$5")}, taken_at = clock_timestamp() WHERE name = $1 AND owner = $2 RETURNING 1`,
      [name, from, owner, holder, ttlMs],
    );
    return rows.length === 1;
  }

  async #holder(): Promise<number> {
    try {
      return await this.liveness.key();
    } catch (err) {
      throw new UnavailableError(`the PostgreSQL state store is unavailable: ${(err as Error).message}`, { cause: err });
    }
  }

  #closed = false;
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.liveness.close();
    await this.pool.end();
  }
}
