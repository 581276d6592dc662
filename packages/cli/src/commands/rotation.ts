import type { Command } from "commander";
import {
  InvalidInputError,
  NotFoundError,
  PendingRotations,
  RotationPolicies,
  type RotationDue,
  type RotationOutcome,
  type TenantId,
  confirmRotation,
  parseSecretName,
  rollbackRotation,
  rotationSchedule,
  runRotations,
  type RotationEvent,
  Security,
} from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import { syncRollout } from "@polyvault/sync";
import type { Context } from "../context.js";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { progressBar } from "../progress.js";
import { EXIT } from "../exit-codes.js";

async function tenantsOf(rt: Runtime, tenant: string | undefined): Promise<TenantId[]> {
  return tenant ? [rt.manager(tenant).tenant] : rt.tenants();
}

/** Everything a rotation needs for one tenant; a failed rotation is sent to the alert webhook. */
function rotationContext(ctx: Context, rt: Runtime, tenant: string) {
  const alerts = Security.of(rt.options.steps)?.alerts;
  const onEvent = async (e: RotationEvent) => {
    if (e.type !== "rotation.failed" || !alerts) return;
    await alerts.notify({
      kind: "rotation.failure",
      tenant: e.tenant,
      name: e.name,
      error: { code: "ROTATION_FAILED", message: e.reason ?? "rotation failed" },
    });
  };
  return { manager: rt.manager(tenant), pending: new PendingRotations(rt.dataDir), env: ctx.io.env, onEvent };
}

const day = (d: Date | undefined) => d?.toISOString().slice(0, 10);

export function registerRotation(program: Command, run: Runner): void {
  const rotation = program.command("rotation").description("scheduled rotation: which secrets are due, rotate them (blue-green), confirm or roll back");

  rotation
    .command("due")
    .description("list secrets that are due, overdue or pending confirmation (from heads: no value is read)")
    .option("--tenant <tenant>", "only this tenant")
    .option("--all", "also list secrets that are not due")
    .option("--exit-code", "exit 1 when any secret is overdue")
    .action(
      run(async (ctx, opts: { tenant?: string; all?: boolean; exitCode?: boolean }) => {
        const rt = await ctx.runtime();
        const policies = new RotationPolicies(rt.config.rotation);
        const pending = await new PendingRotations(rt.dataDir).list();
        // Denied before anything is read (every tenant needs the permission on "*").
        await ctx.authorize(opts.tenant ?? "*", "list");
        const now = new Date();
        const all: RotationDue[] = [];
        for (const tenant of await tenantsOf(rt, opts.tenant))
          all.push(...(await rotationSchedule({ tenant, provider: rt.placement(tenant).primary, policies, now, pending })));
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
        const secret = opts.secret === undefined ? undefined : parseSecretName(opts.secret);
        // Gradual rotations push to one target at a time themselves: no push-on-write to all at once.
        const rt = await ctx.runtime({ pushOnWrite: false });
        await ctx.authorize(opts.tenant ?? "*", "rotate");
        const rollout = syncRollout({ routes: await rt.routes(), state: await rt.state(), keyring: rt.keyring, source: (t) => rt.placement(t).primary.name });
        const policies = new RotationPolicies(rt.config.rotation);
        const results: RotationOutcome[] = [];
        for (const tenant of await tenantsOf(rt, opts.tenant)) {
          const bar = progressBar(ctx, `rotate ${tenant}`);
          try {
            results.push(
              ...(await runRotations({
                ...rotationContext(ctx, rt, tenant),
                policies,
                secret,
                force: opts.force,
                confirm: opts.confirm,
                rollout,
                onProgress: (d, t) => bar.update(d, t),
              })),
            );
          } finally {
            bar.stop();
          }
        }
        if (secret !== undefined && results.length === 0)
          throw new NotFoundError(`secret ${JSON.stringify(secret)} not found${opts.tenant ? ` in tenant ${opts.tenant}` : " in any tenant"}`);
        const count = (k: RotationOutcome["outcome"]) => results.filter((r) => r.outcome === k).length;
        const summary = { staged: count("staged"), confirmed: count("confirmed"), skipped: count("skipped"), failed: count("failed") };
        ctx.out.result({ results, summary }, () => [
          ...(results.length
            ? table(
                ["TENANT", "NAME", "OUTCOME", "FROM", "TO", "REASON"],
                results.map((r) => [r.tenant, r.name, r.outcome, r.fromRevision, r.toRevision, r.reason ?? ""]),
              )
            : []),
          `${summary.staged} staged, ${summary.confirmed} confirmed, ${summary.skipped} skipped, ${summary.failed} failed` +
            (summary.staged ? "; confirm each with `polyvault rotation confirm NAME --tenant T`" : ""),
        ]);
        return summary.failed > 0 ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );

  rotation
    .command("confirm <name>")
    .description("promote a staged rotation: the new revision is the one in use")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, name: string, opts: { tenant: string }) => {
        const rt = await ctx.runtime();
        const r = await confirmRotation(rotationContext(ctx, rt, opts.tenant), parseSecretName(name));
        ctx.out.result(
          { tenant: opts.tenant, name, confirmed: true, revision: r.stagedRevision, previousRevision: r.previousRevision },
          () => `${opts.tenant}/${name}: revision ${r.stagedRevision} confirmed`,
        );
        return EXIT.OK;
      }),
    );

  rotation
    .command("rollback <name>")
    .description("undo a staged rotation: the previous value is written again as a new revision")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--force", "roll back even if the secret was written again after the rotation")
    .action(
      run(async (ctx, name: string, opts: { tenant: string; force?: boolean }) => {
        const rt = await ctx.runtime();
        const r = await rollbackRotation(rotationContext(ctx, rt, opts.tenant), parseSecretName(name), { force: Boolean(opts.force) });
        ctx.out.result(
          { tenant: opts.tenant, name, rolledBack: true, revision: r.revision, restoredRevision: r.restoredRevision },
          () => `${opts.tenant}/${name}: the value of revision ${r.restoredRevision} is current again, as revision ${r.revision}`,
        );
        return EXIT.OK;
      }),
    );
}
