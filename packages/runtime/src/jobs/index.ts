/**
 * The scheduled jobs (docs/scheduled-jobs.md). Each job is a factory in its own file; this list names
 * them all and nothing else switches on a job's name. Adding a job is one line here.
 */
import type { PolyvaultConfig } from "../config/schema.js";
import type { Runtime } from "../runtime.js";
import { auditExportJob } from "./audit-export.js";
import { backupJob } from "./backup.js";
import { keyRotationJob } from "./key-rotation.js";
import { JobRunner, type JobRunnerOptions } from "./runner.js";
import type { JobFactory, ScheduledJob } from "./types.js";

export const JOBS: readonly JobFactory[] = [keyRotationJob, backupJob, auditExportJob];

/** The jobs the configuration asks for, in JOBS order. */
export function configuredJobs(config: PolyvaultConfig, factories: readonly JobFactory[] = JOBS): ScheduledJob[] {
  return factories.map((f) => f(config)).filter((j): j is ScheduledJob => j !== undefined);
}

/** A runner for the jobs the runtime's configuration asks for. */
export function jobRunner(runtime: Runtime, options: Omit<JobRunnerOptions, "runtime" | "jobs"> & { jobs?: readonly ScheduledJob[] } = {}): JobRunner {
  return new JobRunner({ ...options, runtime, jobs: options.jobs ?? configuredJobs(runtime.config) });
}

export { JobRunner, type JobRunnerOptions } from "./runner.js";
export { type Schedule, parseDuration, parseSchedule } from "./schedule.js";
export { dueAt, lastJobRun } from "./records.js";
export { backupJob, keyRotationJob };
export { backupsDir } from "./backup.js";
export { DEFAULT_REWRAP_PER_SECOND } from "./key-rotation.js";
export type * from "./types.js";
