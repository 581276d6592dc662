/**
 * The scheduled jobs (docs/scheduled-jobs.md). Each job is a factory in its own file; this list names
 * them all and nothing else switches on a job's name. Adding a job is one line here.
 */
import type { PolyvaultConfig } from "../config/schema.js";
import type { JobFactory, ScheduledJob } from "./types.js";

export const JOBS: readonly JobFactory[] = [];

/** The jobs the configuration asks for, in JOBS order. */
export function configuredJobs(config: PolyvaultConfig, factories: readonly JobFactory[] = JOBS): ScheduledJob[] {
  return factories.map((f) => f(config)).filter((j): j is ScheduledJob => j !== undefined);
}

export type * from "./types.js";
