import type { Command } from "commander";
import { InvalidInputError } from "@polyvault/core";
import { rotationConfirm, rotationDue, rotationRollback, rotationRun, rotationStatus } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

const day = (d: Date | undefined) => d?.toISOString().slice(0, 10);

/** `polyvault rotation …`: argument parsing and output; the operations (authorize → audit → run) are the runtime's. */
export function registerRotation(program: Command, run: Runner): void {
  const rotation = program
    .command("rotation")
    .description("scheduled rotation: which secrets are due, rotate them (blue-green, gradual, canary), status, confirm or roll back");

  rotation
    .command("due")
    .description("list secrets that are due, overdue or pending confirmation (from heads: no value is read)")
    .option("--tenant <tenant>", "only this tenant")
    .option("--all", "also list secrets that are not due")
    .option("--exit-code", "exit 1 when any secret is overdue")
    .action(
      run(async (ctx, opts: { tenant?: string; all?: boolean; exitCode?: boolean }) => {
        const { now, secrets: all } = await rotationDue(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant });
        const shown = opts.all ? all : all.filter((s) => s.status !== "ok");
        ctx.out.result({ now: now.toISOString(), secrets: shown }, () =>
          shown.length === 0
            ? `nothing is due (${all.length} secret(s) checked)`
            : table(
                ["TENANT", "NAME", "STATUS", "REVISION", "LAST ROTATED", "NEXT DUE", "POLICY"],
                shown.map((s) => [
                  s.tenant,
                  s.name,
                  s.status + (s.pendingRevision ? ` (r${s.pendingRevision})` : ""),
                  s.revision,
                  day(s.lastRotatedAt),
                  day(s.nextDueAt),
                  `${s.policy}, ${s.intervalDays}d`,
                ]),
              ),
        );
        return opts.exitCode && all.some((s) => s.status === "overdue") ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  rotation
    .command("run")
    .description("rotate every due or overdue secret; the previous revision stays readable until `rotation confirm`")
    .option("--tenant <tenant>", "only this tenant")
    .option("--secret <name>", "only this secret")
    .option("--force", "rotate --secret even when it is not due")
    .option("--confirm", "promote each new revision at once (after its read-back) instead of waiting for `rotation confirm`")
    .action(
      run(async (ctx, opts: { tenant?: string; secret?: string; force?: boolean; confirm?: boolean }) => {
        if (opts.force && opts.secret === undefined)
          throw new InvalidInputError("--force needs --secret NAME (forcing every secret of every tenant is refused)");
        // Gradual rotations push to one target at a time themselves: no push-on-write to all at once.
        const rt = await ctx.runtime({ pushOnWrite: false });
        const { results, summary } = await rotationRun(rt, {
          ...ctx.ops(),
          tenant: opts.tenant,
          secret: opts.secret,
          force: opts.force,
          confirm: opts.confirm,
        });
        ctx.out.result({ results, summary }, () => [
          ...(results.length
            ? table(
                ["TENANT", "NAME", "OUTCOME", "FROM", "TO", "REASON"],
                results.map((r) => [r.tenant, r.name, r.outcome, r.fromRevision, r.toRevision, r.reason ?? ""]),
              )
            : []),
          `${summary.staged} staged, ${summary.confirmed} confirmed, ${summary.skipped} skipped, ${summary.failed} failed` +
            (summary.rolledBack ? `, ${summary.rolledBack} rolled back` : "") +
            (summary.staged ? "; confirm each with `polyvault rotation confirm NAME --tenant T`" : ""),
        ]);
        return summary.failed + summary.rolledBack > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  rotation
    .command("status")
    .description("rotations waiting for confirm or rollback, and each canary rotation's phase and outcome (no value is read)")
    .option("--tenant <tenant>", "only this tenant")
    .action(
      run(async (ctx, opts: { tenant?: string }) => {
        const r = await rotationStatus(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant });
        const canaryOf = (t: string, n: string) => r.canaries.find((c) => c.tenant === t && c.name === n);
        const rows = [
          ...r.pending.map((p) => ({
            tenant: p.tenant,
            name: p.name,
            strategy: p.strategy,
            from: p.previousRevision,
            to: p.stagedRevision,
            c: canaryOf(p.tenant, p.name),
          })),
          ...r.canaries
            .filter((c) => !r.pending.some((p) => p.tenant === c.tenant && p.name === c.name))
            .map((c) => ({ tenant: c.tenant, name: c.name, strategy: "canary", from: c.fromRevision, to: c.toRevision, c })),
        ];
        ctx.out.result(r, () =>
          rows.length === 0
            ? "no rotation is pending and no canary rotation is recorded"
            : table(
                ["TENANT", "NAME", "STRATEGY", "FROM", "TO", "PHASE", "OUTCOME", "REASON"],
                rows.map((x) => [x.tenant, x.name, x.strategy, x.from, x.to, x.c?.phase ?? "", x.c?.outcome ?? "pending", x.c?.reason ?? ""]),
              ),
        );
        return EXIT.OK;
      }),
    );

  rotation
    .command("confirm <name>")
    .description("promote a staged rotation: the new revision is the one in use")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, name: string, opts: { tenant: string }) => {
        const r = await rotationConfirm(await ctx.runtime(), name, { ...ctx.ops(), tenant: opts.tenant });
        ctx.out.result(
          { tenant: opts.tenant, name, confirmed: true, revision: r.revision, previousRevision: r.previousRevision },
          () => `${opts.tenant}/${name}: revision ${r.revision} confirmed`,
        );
        return EXIT.OK;
      }),
    );

  rotation
    .command("rollback <name>")
    .description("undo a staged rotation: the previous value is written again as a new revision (a canary rotation: at every target too)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--force", "roll back even if the secret was written again after the rotation")
    .action(
      run(async (ctx, name: string, opts: { tenant: string; force?: boolean }) => {
        const r = await rotationRollback(await ctx.runtime(), name, { ...ctx.ops(), tenant: opts.tenant, force: opts.force });
        ctx.out.result(
          { tenant: opts.tenant, name, rolledBack: true, revision: r.revision, restoredRevision: r.restoredRevision },
          () => `${opts.tenant}/${name}: the value of revision ${r.restoredRevision} is current again, as revision ${r.revision}`,
        );
        return EXIT.OK;
      }),
    );
}
