/**
 * Scheduled jobs (docs/scheduled-jobs.md): one small interface every job implements. The runner
 * (runner.ts) owns the schedule, the lease that makes several gateways sharing one state store run a
 * job once per period, the audit records of each run and the alert on failure; a job only does its
 * work and says what it did (counts and names, never a value). A job that fails throws.
 *
 * Adding a job: a factory `(config) => ScheduledJob | undefined` (undefined when the configuration
 * does not ask for it), one line in index.ts's JOBS.
 */
import type { Permission } from "@polyvault/core";
import type { PolyvaultConfig } from "../config/schema.js";
import type { Caller, Progress } from "../operations/operation.js";
import type { Runtime } from "../runtime.js";

export interface JobContext {
  readonly runtime: Runtime;
  /** Who the job acts as: its operations are authorized and audited under this caller. */
  readonly caller: Caller;
  /** When the runner started this run, in whole seconds (what the state store records as its start). */
  readonly now: Date;
  /** Aborted when the scheduler stops: long work checks it between steps and stops early. */
  readonly signal: AbortSignal;
  /** A value-free line about what the job is doing (the CLI prints it; `serve` logs it). */
  readonly log: (message: string) => void;
  /** A progress display for long work (the CLI's bar on a terminal), as in OperationOptions. */
  readonly progress?: ((label: string) => Progress) | undefined;
  /** The job's previous run, across every gateway sharing the state store (undefined: never ran). */
  readonly lastRun?: JobRunRecord | undefined;
}

/** What a run did. Counts and a message only: never a value. */
export type JobResult =
  /** The job did its work. */
  | { readonly status: "done"; readonly message: string; readonly counts?: Readonly<Record<string, number>> | undefined }
  /** The job looked and had nothing to do (a key not yet due, no tenant to back up). */
  | { readonly status: "nothing-due"; readonly message: string; readonly counts?: Readonly<Record<string, number>> | undefined };

export interface ScheduledJob {
  /** `keys.rotate`, `backups`, `audit.export`: letters, digits, '.', '-'; unique among the jobs. */
  readonly name: string;
  /**
   * When it runs: a cron pattern (croner: 5 fields, or 6 with seconds first) or `every <n><unit>`
   * with unit s, m, h or d (`every 90d`, `every 1s`): due once that long after its last run.
   */
  readonly schedule: string;
  /** The permission its runs need (on every tenant, "*"): checked and audited by the runner. */
  readonly permission: Permission;
  /** One line for `jobs list`. */
  readonly description: string;
  run(ctx: JobContext): Promise<JobResult>;
}

/** Builds a job from configuration; undefined when the configuration does not ask for it. */
export type JobFactory = (config: PolyvaultConfig) => ScheduledJob | undefined;

/** A finished run as the state store keeps it (every gateway sees the same). */
export interface JobRunRecord {
  readonly job: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly ok: boolean;
  readonly counts: Readonly<Record<string, number>>;
  /** For a failed run: when the newest successful run before it started (its period is still the one due). */
  readonly lastOkAt?: Date | undefined;
}

/** What the runner reports for one tick of one job. */
export type JobRun =
  | ({ readonly job: string; readonly startedAt: Date; readonly finishedAt: Date } & JobResult)
  /** Not run: another gateway holds the job's lease, or already ran it this period. */
  | { readonly job: string; readonly status: "skipped"; readonly message: string; readonly startedAt: Date; readonly finishedAt: Date }
  | {
      readonly job: string;
      readonly status: "failed";
      readonly message: string;
      readonly error: { readonly code: string; readonly message: string };
      readonly startedAt: Date;
      readonly finishedAt: Date;
    };

/** `jobs list` / status: the schedule, the last run (any gateway) and the next due time. */
export interface JobStatus {
  readonly name: string;
  readonly schedule: string;
  readonly description: string;
  readonly lastRun: JobRunRecord | undefined;
  readonly nextRun: Date | undefined;
  /** Who holds the job's lease now (a run in progress), if anyone. */
  readonly heldBy: string | undefined;
}
