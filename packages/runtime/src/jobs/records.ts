/**
 * Job runs in the sync state store, beside route runs: `job:<name>` cannot be a route name (routes are
 * lowercase letters, digits, '-' and '_'), so `sync status` never shows them. A failed run carries the
 * start of the newest successful run before it (`_lastOkAt`), so the period it failed in stays due.
 */
import { randomUUID } from "node:crypto";
import type { StateStore } from "@polyvault/sync";
import type { Schedule } from "./schedule.js";
import type { JobRunRecord } from "./types.js";

const LAST_OK = "_lastOkAt";
export const jobKey = (job: string): string => `job:${job}`;

export async function lastJobRun(state: StateStore, job: string): Promise<JobRunRecord | undefined> {
  const r = await state.lastRun(jobKey(job));
  if (!r) return undefined;
  const { [LAST_OK]: lastOk, ...counts } = r.counts;
  return { job, startedAt: r.startedAt, finishedAt: r.finishedAt, ok: r.ok, counts, lastOkAt: lastOk === undefined ? undefined : new Date(lastOk) };
}

export async function recordJobRun(state: StateStore, run: JobRunRecord, previous: JobRunRecord | undefined): Promise<void> {
  const lastOk = run.ok ? undefined : previous?.ok ? previous.startedAt : previous?.lastOkAt;
  await state.recordRun({
    runId: randomUUID(),
    route: jobKey(run.job),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ok: run.ok,
    counts: { ...run.counts, ...(lastOk ? { [LAST_OK]: lastOk.getTime() } : {}) },
  });
}

/**
 * When the job is next due: now when it never ran; one period after its newest successful run; and
 * after a failure, not before `retryMs` has passed since the failed attempt.
 */
export function dueAt(schedule: Schedule, last: JobRunRecord | undefined, retryMs: number): Date {
  if (!last) return new Date(0);
  const lastOk = last.ok ? last.startedAt : last.lastOkAt;
  const due = lastOk ? schedule.next(lastOk) : new Date(0);
  if (last.ok) return due;
  const retry = new Date(last.startedAt.getTime() + retryMs);
  return due > retry ? due : retry;
}
