import type { Command } from "commander";
import { syncApply, syncPlan, syncRunDue, syncStatus, syncWatch } from "@polyvault/runtime";
import type { RouteRun } from "@polyvault/sync";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** The value-free plan row docs/cli.md promises ("JSON answers scripts read"), plus what apply would do. */
const planRow = (a: { route: string; target: string; tenant: string; name: string; action: string; reason: string; apply: string }) => ({
  route: a.route,
  target: a.target,
  tenant: a.tenant,
  name: a.name,
  action: a.action,
  reason: a.reason,
  apply: a.apply,
});

/** Exit code of a set of runs: 5 if a provider was unavailable, 1 if anything else failed or conflicts were left. */
export function runsExitCode(runs: readonly RouteRun[]): number {
  const failures = runs.flatMap((r) => r.result?.failures ?? []);
  if (failures.some((f) => f.code === "UNAVAILABLE" || f.code === "THROTTLED")) return EXIT.UNAVAILABLE;
  if (failures.length || runs.some((r) => (r.result?.counts.conflictsLeft ?? 0) > 0 || (r.result?.counts.driftLeft ?? 0) > 0)) return EXIT.CHECK_FAILED;
  return EXIT.OK;
}

export function describeRuns(runs: readonly RouteRun[]): string[] {
  return runs.flatMap((r) => {
    if (r.skipped) return [`route ${r.route}: skipped (${r.skipped})`];
    const c = r.result?.counts;
    if (!c) return [];
    const lines = [
      `route ${r.route}: ${c.created} created, ${c.updated} updated, ${c.repaired} repaired, ${c.deleted} deleted, ${c.stateRecorded} recorded in sync (${c.verified} read back to check), ${c.conflictsLeft + c.driftLeft} left for review, ${c.refused} refused by the guard, ${c.failed} failed`,
    ];
    for (const f of r.result?.failures ?? []) lines.push(`  failed: ${f.target} ${f.tenant}/${f.name}: ${f.code}: ${f.message}`);
    return lines;
  });
}

/** `polyvault sync …`: argument parsing and output; the operations (authorize → audit → run) are the runtime's. */
export function registerSync(program: Command, run: Runner): void {
  const sync = program.command("sync").description("mirror secrets across providers: plan, apply, run on a schedule, status");

  sync
    .command("plan")
    .description("what a sync would do, per route, target, tenant and secret (never a value)")
    .option("--route <route>", "only this route")
    .option("--tenant <tenant>", "only this tenant")
    .option("--exit-code", "exit 1 when the plan has conflicts or drift left for review")
    .action(
      run(async (ctx, opts: { route?: string; tenant?: string; exitCode?: boolean }) => {
        const { actions, summary } = await syncPlan(await ctx.runtime(), { ...ctx.ops(), route: opts.route, tenant: opts.tenant });
        const changes = actions.filter((a) => a.action !== "noop");
        await ctx.out.resultList("actions", actions, planRow, { summary }, () => [
          ...(changes.length
            ? table(
                ["ROUTE", "TARGET", "TENANT", "NAME", "ACTION", "REASON"],
                changes.map((a) => [a.route, a.target, a.tenant, a.name, a.action, a.reason]),
              )
            : []),
          `${summary.create} to create, ${summary.update} to update, ${summary.delete} to delete, ${summary.drift} drifted, ${summary.conflict} in conflict, ${summary.noop} in sync`,
        ]);
        // Left for a person: what apply will not touch, and conflicts apply only reads back (it updates an
        // earlier revision of the source's own value, leaves anything else).
        const review = actions.some(
          (a) => (a.action === "conflict" || a.action === "drift") && (a.apply === "none" || (a.action === "conflict" && a.apply === "verify")),
        );
        return opts.exitCode && review ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  sync
    .command("apply")
    .description("carry out the plan: write, repair and (with prune) delete in the targets")
    .option("--route <route>", "only this route")
    .option("--tenant <tenant>", "only this tenant")
    .option("--confirm", "allow deletions and overwrites over the route's guard (maxDeleteFraction, guard.*)")
    .action(
      run(async (ctx, opts: { route?: string; tenant?: string; confirm?: boolean }) => {
        const rt = await ctx.runtime();
        const runs = await syncApply(rt, { ...ctx.ops(), route: opts.route, tenant: opts.tenant, confirm: opts.confirm });
        ctx.out.result(
          {
            runs: runs.map((r) => ({
              route: r.route,
              runId: r.result?.runId,
              skipped: r.skipped,
              summary: r.plan?.summary,
              counts: r.result?.counts,
              failures: r.result?.failures ?? [],
            })),
            calls: rt.calls(),
          },
          () => describeRuns(runs),
        );
        return runsExitCode(runs);
      }),
    );

  sync
    .command("run")
    .description("run the routes that are due on their schedule (once), or keep running them (--watch)")
    .option("--watch", "stay running as the scheduler (each route on its cron; one process per route at a time)")
    .action(
      run(async (ctx, opts: { watch?: boolean }) => {
        const rt = await ctx.runtime();
        if (!opts.watch) {
          const runs = await syncRunDue(rt, ctx.ops());
          ctx.out.result(
            { runs: runs.map((r) => ({ route: r.route, skipped: r.skipped, counts: r.result?.counts, failures: r.result?.failures ?? [] })) },
            () => (runs.length ? describeRuns(runs) : "no route is due"),
          );
          return runsExitCode(runs);
        }
        // The scheduler's own timers do not hold the process open (the library's leadership lease is
        // unref'd so that a gateway can exit): this handle does, until SIGINT or SIGTERM, whatever the
        // process's stdin and stdout are (a terminal, a pipe, /dev/null, a file).
        const keepAlive = setInterval(() => undefined, 1 << 30);
        try {
          await syncWatch(rt, {
            ...ctx.ops(),
            onStart: (n) => ctx.out.note(`polyvault: scheduler running ${n} scheduled route(s); Ctrl-C to stop`),
            onRun: (r) => {
              if ("error" in r) ctx.io.stderr.write(`polyvault: route ${r.route}: ${(r.error as Error).message}\n`);
              else if (ctx.out.json) ctx.out.record({ route: r.route, skipped: r.skipped, counts: r.result?.counts, failures: r.result?.failures ?? [] });
              else for (const line of describeRuns([r])) ctx.io.stderr.write(`${new Date().toISOString()} ${line}\n`);
            },
            until: new Promise<void>((resolve) => {
              process.once("SIGINT", resolve);
              process.once("SIGTERM", resolve);
            }),
          });
        } finally {
          clearInterval(keepAlive);
        }
        return EXIT.OK;
      }),
    );

  sync
    .command("status")
    .description("routes, schedules, last runs, unfinished journal entries, lease holders, unauthenticated state records, provider breakers")
    .action(
      run(async (ctx) => {
        const status = await syncStatus(await ctx.runtime(), ctx.ops());
        const { breakers } = status;
        ctx.out.result(status, () => [
          ...table(
            ["ROUTE", "SCHEDULE", "LAST RUN", "OK", "PENDING", "LEASE HELD BY", "UNAUTHENTICATED"],
            status.routes.map((r) => [
              r.name,
              r.schedule,
              r.lastRun?.finishedAt.toISOString(),
              r.lastRun ? (r.lastRun.ok ? "yes" : "no") : undefined,
              r.pending,
              r.lease ? `${r.lease.holder} (${r.lease.ageMs === undefined ? "since unknown" : `${Math.round(r.lease.ageMs / 1000)} s`})` : undefined,
              r.unauthenticatedRecords,
            ]),
          ),
          ...status.routes
            .filter((r) => r.unauthenticatedRecords > 0)
            .map(
              (r) =>
                `warning: route ${r.name} has ${r.unauthenticatedRecords} state record(s) whose MAC does not verify: ignored (written by something without the master key, or before Polyvault signed records)`,
            ),
          `breakers: ${Object.entries(breakers)
            .map(([n, s]) => `${n} ${s}`)
            .join(", ")}`,
        ]);
        return EXIT.OK;
      }),
    );
}
