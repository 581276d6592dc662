/**
 * Schema migrations of the PostgreSQL state store. Each migration runs once, in order, in one
 * transaction that also records its version; the whole run holds a transaction-scoped advisory lock, so
 * several gateways starting at once apply each migration exactly once (the others wait, then find it
 * done). Append new migrations; never edit one that has shipped.
 */
import { InvalidInputError } from "@polyvault/core";
import type { PoolClient } from "pg";

/**
 * Advisory locks of Polyvault, in the two-int form (namespace, key): the migrations lock, and one
 * liveness lock per running store under its own namespace (keys are random: see pg-liveness.ts).
 */
export const PG_LOCK_MIGRATIONS = [0x70760001, 1] as const;
export const PG_LOCK_LIVENESS_NAMESPACE = 0x70760002;

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records, journal, runs, leases",
    sql: `
CREATE TABLE pv_records (
  route text NOT NULL, target text NOT NULL, tenant text NOT NULL, name text NOT NULL,
  source_digest text NOT NULL, source_revision bigint NOT NULL, target_version text NOT NULL, synced_at timestamptz NOT NULL,
  PRIMARY KEY (route, target, tenant, name));
CREATE INDEX pv_records_target_tenant ON pv_records (target, tenant, synced_at);
CREATE TABLE pv_journal (
  id bigserial PRIMARY KEY, run_id text NOT NULL, route text NOT NULL, target text NOT NULL,
  tenant text NOT NULL, name text NOT NULL, action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  source_digest text, state text NOT NULL CHECK (state IN ('begun', 'done', 'failed')), at timestamptz NOT NULL, detail text);
CREATE INDEX pv_journal_pending ON pv_journal (route, id) WHERE state = 'begun';
CREATE TABLE pv_runs (
  run_id text PRIMARY KEY, route text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL,
  ok boolean NOT NULL, counts jsonb NOT NULL);
CREATE INDEX pv_runs_route ON pv_runs (route, finished_at);
CREATE INDEX pv_runs_finished ON pv_runs (finished_at);
-- holder: the advisory-lock key (second int) that the owner's store holds while its process lives.
CREATE TABLE pv_leases (name text PRIMARY KEY, owner text NOT NULL, holder integer NOT NULL, expires_at timestamptz NOT NULL);
`,
  },
  {
    version: 2,
    description: "record MACs (rows before this have none and are ignored until re-verified), lease start times, journal by route and time",
    sql: `
ALTER TABLE pv_records ADD COLUMN mac text;
ALTER TABLE pv_leases ADD COLUMN taken_at timestamptz;
CREATE INDEX pv_journal_route_at ON pv_journal (route, target, tenant, at);
`,
  },
];

/** Applies every migration not yet recorded; returns the versions it applied. */
export async function migrate(client: PoolClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...PG_LOCK_MIGRATIONS]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS pv_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set((await client.query<{ version: number }>("SELECT version FROM pv_migrations")).rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known)
      throw new InvalidInputError(`the state database has schema version ${newest}, newer than this Polyvault knows (${known}): upgrade Polyvault`);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO pv_migrations (version, description) VALUES ($1, $2)", [m.version, m.description]);
      applied.push(m.version);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  return applied;
}
