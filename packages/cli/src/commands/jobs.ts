/**
 * `polyvault jobs …`: the scheduled jobs (docs/scheduled-jobs.md): list them with their last and next
 * run, run the due ones once, or keep running them in the foreground (`--watch`, the same runner as
 * `serve`). A command of its own rather than part of `sync run --watch`: a host may run routes and jobs
 * in different processes, and each loop's lease and audit records stay apart.
 */
import type { Command } from "commander";
import { EXIT_CODES, EXIT } from "../exit-codes.js";
import { type JobRun, type JobStatus, jobRunner } from "@polyvault/runtime";
import type { ErrorCode } from "@polyvault/core";
import type { Runner } from "../main.js";
import { table } from "../output.js";

function statusRow(s: JobStatus): Array<string | number | undefined> {
  const last = s.lastRun;
  return [s.name, s.schedule, last?.startedAt.toISOString(), last ? (last.ok ? "ok" : "failed") : undefined, s.nextRun?.toISOString(), s.heldBy];
}

const runJson = (r: JobRun) => ({
  job: r.job,
  status: r.status,
  message: r.message,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt.toISOString(),
  ...("counts" in r && r.counts ? { counts: r.counts } : {}),
  ...("error" in r ? { error: r.error } : {}),
});

const runLine = (r: JobRun) => `${r.job}: ${r.status}: ${r.message}`;

/** A failed job's error code as the exit code (2 for a bad backups.dir, 6 for an integrity failure…). */
function exitOf(runs: readonly JobRun[]): number {
  const failed = runs.find((r) => r.status === "failed");
  if (!failed || !("error" in failed)) return EXIT.OK;
  return EXIT_CODES[failed.error.code as ErrorCode] ?? EXIT.CHECK_FAILED;
}

export function registerJobs(program: Command, run: Runner): void {
  const jobs = program.command("jobs").description("scheduled jobs (key rotation, backups, …): list, run once, or run as a foreground scheduler");

  jobs
    .command("list")
    .description("each configured job: schedule, last run (on any gateway sharing the state store), next run, who runs it now")
    .action(
      run(async (ctx) => {
        const status = await jobRunner(await ctx.runtime()).status();
        ctx.out.result({ jobs: status }, () =>
          status.length
            ? table(["JOB", "SCHEDULE", "LAST RUN", "OUTCOME", "NEXT RUN", "RUNNING ON"], status.map(statusRow))
            : "no scheduled job is configured (keys.rotateEvery, backups: docs/scheduled-jobs.md)",
        );
        return EXIT.OK;
      }),
    );

  jobs
    .command("run")
    .description("run the jobs that are due, once (--watch: keep running them on their schedules until Ctrl-C)")
    .option("--job <name>", "only this job")
    .option("--force", "run even if not due (still one at a time across gateways)")
    .option("--watch", "keep running as a scheduler (foreground; SIGINT or SIGTERM stops it)")
    .action(
      run(async (ctx, opts: { job?: string; force?: boolean; watch?: boolean }) => {
        const rt = await ctx.runtime();
        if (!opts.watch) {
          const runner = jobRunner(rt, { ...ctx.ops(), log: (job, m) => ctx.out.note(`${job}: ${m}`) });
          const runs = await runner.runDue({ only: opts.job, force: opts.force });
          ctx.out.result({ runs: runs.map(runJson) }, () => (runs.length ? runs.map(runLine) : "no scheduled job is configured"));
          return exitOf(runs);
        }
        const all = jobRunner(rt);
        // A name that is not configured is refused (exit 2) before anything starts.
        const selected = opts.job === undefined ? all.jobs : [all.job(opts.job)];
        const runner = jobRunner(rt, {
          jobs: selected,
          log: (job, m) => ctx.io.stderr.write(`${new Date().toISOString()} ${job}: ${m}\n`),
          onRun: (r) => {
            if (ctx.out.json) ctx.out.record(runJson(r));
            else ctx.io.stderr.write(`${r.finishedAt.toISOString()} ${runLine(r)}\n`);
          },
        });
        ctx.out.note(`polyvault: running ${runner.jobs.length} scheduled job(s) (${runner.jobs.map((j) => j.name).join(", ") || "none"}); Ctrl-C to stop`);
        // Croner's timers keep the process alive; this waits for the signal.
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
          runner.start();
        });
        await runner.stop();
        return EXIT.OK;
      }),
    );
}
