/** Rows of the PostgreSQL state tables as the StateStore's types (int8 columns arrive as strings). */
import type { QueryResultRow } from "pg";
import type { JournalEntry, RunSummary, SyncRecord } from "./types.js";

export function rowToRecord(r: QueryResultRow): SyncRecord {
  return {
    route: r.route as string,
    target: r.target as string,
    tenant: r.tenant as string,
    name: r.name as string,
    sourceDigest: r.source_digest as string,
    sourceRevision: Number(r.source_revision),
    targetVersion: r.target_version as string,
    syncedAt: r.synced_at as Date,
    mac: (r.mac as string | null) ?? undefined,
  };
}

export function rowToJournal(r: QueryResultRow): JournalEntry {
  return {
    id: Number(r.id),
    runId: r.run_id as string,
    route: r.route as string,
    target: r.target as string,
    tenant: r.tenant as string,
    name: r.name as string,
    action: r.action as JournalEntry["action"],
    sourceDigest: (r.source_digest as string | null) ?? undefined,
    state: r.state as JournalEntry["state"],
    at: r.at as Date,
  };
}

export function rowToRun(r: QueryResultRow): RunSummary {
  return {
    runId: r.run_id as string,
    route: r.route as string,
    startedAt: r.started_at as Date,
    finishedAt: r.finished_at as Date,
    ok: r.ok as boolean,
    counts: r.counts as Record<string, number>,
  };
}
