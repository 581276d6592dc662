/**
 * The job runner (docs/scheduled-jobs.md): one croner timer per job (`protect`: a run never overlaps
 * the previous one in this process), and per run a lease `job:<name>` in the sync state store, under
 * which the runner checks again that the job is still due (another gateway sharing the store may have
 * run it this period) before it runs. Each run is an operation (authorized, audited `job.run` before it
 * acts and after, with counts: never a value), recorded in the state store (last/next run for every
 * gateway), and a failure raises a `job.failure` alert.
 */
import { InvalidInputError, alertError } from "@polyvault/core";
import { MAX_LEASE_MS, type StateStore, acquireLease, leaseOwner } from "@polyvault/sync";
import { Cron } from "croner";
import { callerOf } from "../operations/caller.js";
import { type Caller, type Progress, detailOf, runOperation } from "../operations/operation.js";
import type { Runtime } from "../runtime.js";
import { dueAt, jobKey, lastJobRun, recordJobRun } from "./records.js";
import { type Schedule, parseSchedule } from "./schedule.js";
import type { JobRun, JobStatus, ScheduledJob } from "./types.js";

export interface JobRunnerOptions {
  readonly runtime: Runtime;
  /** The jobs to run (index.ts's jobRunner() passes the ones the configuration asks for). */
  readonly jobs: readonly ScheduledJob[];
  /** Default: the caller the runtime was opened for. */
  readonly caller?: Caller | undefined;
  /** Identifies this process in leases (default host:pid:random). */
  readonly owner?: string | undefined;
  /** How long a job lease lasts without renewal (default 5 min; renewed every third of it while a job runs). */
  readonly leaseMs?: number | undefined;
  /** After a failed run, the least time before the next attempt (default 60 s, or the period if shorter). */
  readonly retryMs?: number | undefined;
  /** Told about every run that did something, failed, or was skipped although due. */
  readonly onRun?: ((run: JobRun) => void) | undefined;
  /** Value-free lines from jobs. */
  readonly log?: ((job: string, message: string) => void) | undefined;
  readonly progress?: ((label: string) => Progress) | undefined;
}

export class JobRunner {
  readonly owner: string;
  readonly jobs: readonly ScheduledJob[];
  readonly #schedules = new Map<string, Schedule>();
  readonly #busy = new Map<string, Promise<JobRun | undefined>>();
  readonly #leaseMs: number;
  #crons: Cron[] = [];
  #abort = new AbortController();

  constructor(readonly options: JobRunnerOptions) {
    this.owner = options.owner ?? leaseOwner();
    this.#leaseMs = Math.min(options.leaseMs ?? 300_000, MAX_LEASE_MS);
    this.jobs = options.jobs;
    for (const job of this.jobs) {
      if (this.#schedules.has(job.name)) throw new InvalidInputError(`two scheduled jobs are named ${job.name}`);
      this.#schedules.set(job.name, parseSchedule(job.schedule, `job ${job.name}`));
    }
  }

  job(name: string): ScheduledJob {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new InvalidInputError(`no scheduled job named '${name}' (configured: ${this.jobs.map((j) => j.name).join(", ") || "none"})`);
    return job;
  }

  /** Runs each due job once (all, or `only`); `force` runs it even when not due (still under its lease). */
  async runDue(options: { only?: string | undefined; force?: boolean | undefined } = {}): Promise<JobRun[]> {
    const jobs = options.only === undefined ? this.jobs : [this.job(options.only)];
    const runs: JobRun[] = [];
    for (const job of jobs) {
      const run = await this.#tick(job, { force: Boolean(options.force), quiet: false });
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Starts the timers, and runs at once whatever is already due. */
  start(): this {
    this.#abort = new AbortController();
    for (const job of this.jobs) {
      const schedule = this.#schedules.get(job.name) as Schedule;
      this.#crons.push(
        new Cron(schedule.tick, { protect: true }, async () => {
          await this.#tick(job, { force: false, quiet: true });
        }),
      );
      void this.#tick(job, { force: false, quiet: true });
    }
    return this;
  }

  /** Stops the timers, tells running jobs to stop (they resume on a later run) and waits for them. */
  async stop(): Promise<void> {
    for (const c of this.#crons) c.stop();
    this.#crons = [];
    this.#abort.abort();
    await Promise.all([...this.#busy.values()]);
    this.#abort = new AbortController(); // runDue() after stop() runs normally
  }

  async status(): Promise<JobStatus[]> {
    const state = await this.options.runtime.state();
    const out: JobStatus[] = [];
    for (const job of this.jobs) {
      const last = await lastJobRun(state, job.name);
      const info = await state.leaseInfo(jobKey(job.name));
      // Due already (never ran, or overdue): the next run is now.
      const due = dueAt(this.#schedules.get(job.name) as Schedule, last, this.#retryMs(job));
      const next = due.getTime() < Date.now() ? new Date() : due;
      out.push({ name: job.name, schedule: job.schedule, description: job.description, lastRun: last, nextRun: next, heldBy: info?.holder });
    }
    return out;
  }

  #retryMs(job: ScheduledJob): number {
    return this.options.retryMs ?? Math.min(60_000, this.#schedules.get(job.name)?.periodMs ?? 60_000);
  }

  /** One attempt, at most one at a time per job in this process. `quiet`: a job not due is not reported. */
  #tick(job: ScheduledJob, how: { force: boolean; quiet: boolean }): Promise<JobRun | undefined> {
    const running = this.#busy.get(job.name);
    if (running) return how.quiet ? Promise.resolve(undefined) : running;
    const p = this.#attempt(job, how)
      // The state store could not be asked (down, or closed): reported, not alerted (the next tick asks again).
      .catch((err: unknown): JobRun => {
        const error = alertError(err);
        const at = new Date();
        return { job: job.name, status: "failed", message: `the state store could not be asked: ${error.message}`, error, startedAt: at, finishedAt: at };
      })
      .then((run) => {
        if (run) this.#report(run);
        return run;
      })
      .finally(() => this.#busy.delete(job.name));
    this.#busy.set(job.name, p);
    return p;
  }

  #report(run: JobRun): void {
    try {
      this.options.onRun?.(run);
    } catch {
      // a listener's failure is not the job's
    }
  }

  async #attempt(job: ScheduledJob, how: { force: boolean; quiet: boolean }): Promise<JobRun | undefined> {
    // In whole seconds (the finest tick): a run at 10:00:01.004 counts as 10:00:01, so that `every 1s`
    // is due again at the next tick rather than a few milliseconds after it (which would skip a tick).
    const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const skipped = (message: string): JobRun => ({ job: job.name, status: "skipped", message, startedAt, finishedAt: new Date() });
    const state = await this.options.runtime.state();
    const schedule = this.#schedules.get(job.name) as Schedule;
    // Look without the lease first: a job that is not due costs one read, not a lease write, per tick.
    const before = await lastJobRun(state, job.name);
    if (!how.force && dueAt(schedule, before, this.#retryMs(job)) > startedAt)
      return how.quiet ? undefined : skipped(`not due until ${dueAt(schedule, before, this.#retryMs(job)).toISOString()}`);
    const lease = jobKey(job.name);
    // A lease left by a process of this host that died (a gateway killed mid-backup) is taken over at once.
    if (!(await acquireLease(state, lease, this.owner, this.#leaseMs))) {
      if (how.quiet) return undefined; // a timer's tick while another gateway runs it: nothing to say
      const info = await state.leaseInfo(lease);
      return skipped(`running elsewhere: the lease is held by ${info?.holder ?? "another process"}`);
    }
    const renew = setInterval(() => state.tryLease(lease, this.owner, this.#leaseMs).catch(() => false), Math.max(1000, this.#leaseMs / 3));
    try {
      // Under the lease: another gateway may have run it this period since we looked.
      const last = await lastJobRun(state, job.name);
      if (!how.force && dueAt(schedule, last, this.#retryMs(job)) > startedAt)
        return skipped(`already ran this period (at ${last?.startedAt.toISOString()}), on another gateway`);
      return await this.#run(job, state, last, startedAt);
    } finally {
      clearInterval(renew);
      await state.releaseLease(lease, this.owner).catch(() => undefined);
    }
  }

  async #run(job: ScheduledJob, state: StateStore, last: Awaited<ReturnType<typeof lastJobRun>>, startedAt: Date): Promise<JobRun> {
    const { runtime } = this.options;
    const caller = this.options.caller ?? callerOf(runtime);
    const signal = this.#abort.signal;
    try {
      const result = await runOperation(
        caller,
        { action: "job.run", permission: job.permission, changes: true },
        () =>
          job.run({
            runtime,
            caller,
            now: startedAt,
            signal,
            log: (m) => this.options.log?.(job.name, m),
            progress: this.options.progress,
            lastRun: last,
          }),
        (r) => ({ detail: detailOf({ job: job.name, status: r.status, ...r.counts }) }),
      );
      const finishedAt = new Date();
      await recordJobRun(state, { job: job.name, startedAt, finishedAt, ok: true, counts: result.counts ?? {} }, last);
      return { job: job.name, startedAt, finishedAt, ...result };
    } catch (err) {
      const finishedAt = new Date();
      const error = alertError(err);
      await recordJobRun(state, { job: job.name, startedAt, finishedAt, ok: false, counts: {} }, last).catch(() => undefined);
      // Stopped on purpose (the scheduler is shutting down): the next run resumes, nobody needs paging.
      if (signal.aborted)
        return { job: job.name, status: "failed", message: "stopped before it finished; the next run resumes it", error, startedAt, finishedAt };
      await caller.security.alerts.notify({ kind: "job.failure", job: job.name, error });
      return { job: job.name, status: "failed", message: error.message, error, startedAt, finishedAt };
    }
  }
}
