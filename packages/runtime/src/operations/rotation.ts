/**
 * Scheduled rotation as operations: `due` (permission `list`: reads heads, never a value), `run`
 * (`rotate`: writes new revisions), `confirm` and `rollback` of one staged rotation (`rotate` on that
 * secret). Each new revision is also audited by the SecretManager's own steps; the operation's records
 * say what the whole run did (staged, confirmed, skipped, failed).
 */
import {
  InvalidInputError,
  NotFoundError,
  PendingRotations,
  type RotationDue,
  type RotationEvent,
  type RotationOutcome,
  RotationPolicies,
  Security,
  type TenantId,
  confirmCanary,
  confirmRotation,
  parseSecretName,
  rollbackCanary,
  rollbackRotation,
  rotationSchedule,
  runRotations,
} from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";
import { canaryPhaseAudit, rolloutOf, withRequestId } from "./rotation-canary.js";

async function tenantsOf(rt: Runtime, tenant: TenantId | undefined): Promise<TenantId[]> {
  return tenant ? [tenant] : rt.tenants();
}

/** Everything a rotation needs for one tenant; a failed rotation is sent to the alert webhook. */
function rotationContext(rt: Runtime, tenant: string) {
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
  return { manager: rt.manager(tenant), pending: new PendingRotations(rt.dataDir), env: rt.options.env ?? process.env, onEvent };
}

const tenantOf = (rt: Runtime, raw: string | undefined): TenantId | undefined => (raw === undefined ? undefined : rt.manager(raw).tenant);

export interface DueOptions extends OperationOptions {
  readonly tenant?: string | undefined;
  readonly now?: Date | undefined;
}

/** Every secret's rotation status (from heads: no value is read). */
export function rotationDue(rt: Runtime, options: DueOptions = {}): Promise<{ now: Date; secrets: RotationDue[] }> {
  const tenant = tenantOf(rt, options.tenant);
  return runOperation(
    options.caller ?? callerOf(rt),
    // Denied before anything is read (every tenant needs the permission on "*").
    { action: "rotation.due", permission: "list", tenant, changes: false },
    async () => {
      const policies = new RotationPolicies(rt.config.rotation);
      const pending = await new PendingRotations(rt.dataDir).list();
      const now = options.now ?? new Date();
      const all: RotationDue[] = [];
      for (const t of await tenantsOf(rt, tenant))
        all.push(...(await rotationSchedule({ tenant: t, provider: rt.placement(t).primary, policies, now, pending })));
      return { now, secrets: all };
    },
    (r) => ({
      detail: detailOf({
        checked: r.secrets.length,
        due: r.secrets.filter((s) => s.status === "due").length,
        overdue: r.secrets.filter((s) => s.status === "overdue").length,
      }),
    }),
  );
}

export interface RunOptions extends OperationOptions {
  readonly tenant?: string | undefined;
  readonly secret?: string | undefined;
  readonly force?: boolean | undefined;
  /** Promote each new revision at once (after its read-back) instead of waiting for confirm. */
  readonly confirm?: boolean | undefined;
}

export interface RotationRunReport {
  readonly results: RotationOutcome[];
  readonly summary: { staged: number; confirmed: number; skipped: number; failed: number; rolledBack: number };
}

/**
 * Rotates every due or overdue secret. Open the runtime with `pushOnWrite: false`: gradual rotations push
 * to one target at a time themselves.
 */
export async function rotationRun(rt: Runtime, options: RunOptions = {}): Promise<RotationRunReport> {
  if (options.force && options.secret === undefined)
    throw new InvalidInputError("--force needs --secret NAME (forcing every secret of every tenant is refused)");
  const secret = options.secret === undefined ? undefined : parseSecretName(options.secret);
  const tenant = tenantOf(rt, options.tenant);
  const caller = withRequestId(options.caller ?? callerOf(rt));
  return runOperation(
    caller,
    { action: "rotation.run", permission: "rotate", tenant, name: secret, changes: true },
    async () => {
      const rollout = await rolloutOf(rt);
      const policies = new RotationPolicies(rt.config.rotation);
      const results: RotationOutcome[] = [];
      for (const t of await tenantsOf(rt, tenant)) {
        results.push(
          ...(await withProgress(options, `rotate ${t}`, (bar) =>
            runRotations({
              ...rotationContext(rt, t),
              policies,
              secret,
              force: options.force,
              confirm: options.confirm,
              rollout,
              onPhase: canaryPhaseAudit(caller),
              pushesEveryWrite: rt.options.pushOnWrite !== false && Object.keys(rt.config.routes ?? {}).length > 0,
              onProgress: (d, total) => bar.update(d, total),
            }),
          )),
        );
      }
      if (secret !== undefined && results.length === 0)
        throw new NotFoundError(`secret ${JSON.stringify(secret)} not found${options.tenant ? ` in tenant ${options.tenant}` : " in any tenant"}`);
      const count = (k: RotationOutcome["outcome"]) => results.filter((r) => r.outcome === k).length;
      const summary = {
        staged: count("staged"),
        confirmed: count("confirmed"),
        skipped: count("skipped"),
        failed: count("failed"),
        rolledBack: count("rolled-back"),
      };
      return { results, summary };
    },
    // rolledBack (canary rotations) only when there is one: the detail of other runs reads as before.
    (r) => ({ detail: detailOf({ ...r.summary, rolledBack: r.summary.rolledBack || undefined }) }),
  );
}

export interface OneRotationOptions extends OperationOptions {
  readonly tenant: string;
}

/** Promotes a staged rotation: the new revision is the one in use. */
export async function rotationConfirm(rt: Runtime, name: string, options: OneRotationOptions): Promise<{ revision: number; previousRevision: number }> {
  const secret = parseSecretName(name);
  const tenant = rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "rotation.confirm", permission: "rotate", tenant, name: secret, changes: true },
    async () => {
      const ctx = rotationContext(rt, tenant);
      const canary = (await ctx.pending.get(tenant, secret))?.strategy === "canary";
      const r = canary ? await confirmCanary({ ...ctx, rollout: await rolloutOf(rt) }, secret) : await confirmRotation(ctx, secret);
      return { revision: r.stagedRevision, previousRevision: r.previousRevision };
    },
    (r) => ({ detail: detailOf(r) }),
  );
}

/** Undoes a staged rotation: the previous value is written again as a new revision. */
export async function rotationRollback(
  rt: Runtime,
  name: string,
  options: OneRotationOptions & { force?: boolean | undefined },
): Promise<{ revision: number; restoredRevision: number }> {
  const secret = parseSecretName(name);
  const tenant = rt.manager(options.tenant).tenant;
  const caller = withRequestId(options.caller ?? callerOf(rt));
  return runOperation(
    caller,
    { action: "rotation.rollback", permission: "rotate", tenant, name: secret, changes: true },
    async () => {
      const ctx = rotationContext(rt, tenant);
      const force = Boolean(options.force);
      if ((await ctx.pending.get(tenant, secret))?.strategy !== "canary") return rollbackRotation(ctx, secret, { force });
      // A canary rotation is rolled back everywhere: the primary and every target, canaries first.
      const r = await rollbackCanary({ ...ctx, rollout: await rolloutOf(rt), onPhase: canaryPhaseAudit(caller), afterWrite: () => rt.flushPushes() }, secret, {
        force,
      });
      return { restoredRevision: r.fromRevision, revision: r.restoredRevision ?? r.fromRevision };
    },
    (r) => ({ detail: detailOf(r) }),
  );
}
