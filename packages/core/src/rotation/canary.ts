/**
 * Canary rotation of one secret: the new revision is staged at the primary (blue-green's stage, read
 * back), pushed to the policy's canary targets one at a time, each read back; then the user's check
 * command runs with the new value; only when it passes do the other targets get it (each read back).
 * Any failure — a canary push or read-back, the check, a later target — rolls back everywhere: the old
 * value is written again at the primary as a new revision and pushed to every target, canaries first.
 *
 * Each phase is announced to `onPhase` before it runs and after (the runtime audits both; a phase whose
 * write-ahead record cannot be written does not run), and recorded in CanaryRecords for `rotation status`.
 */
import { dirname } from "node:path";
import { ConflictError, InvalidInputError, isPolyvaultError } from "../errors.js";
import { type RotationContext, confirmRotation, rollbackRotation, stageRotation } from "./blue-green.js";
import { runCanaryCheck } from "./canary-check.js";
import { type CanaryPhase, type CanaryRecord, CanaryRecords } from "./canary-record.js";
import { emitRotationEvent as emit } from "./events.js";
import { type RolloutPlanner, type RolloutTarget, rollOut } from "./gradual.js";
import type { ResolvedPolicy } from "./policy.js";
import { rotationValue } from "./value-source.js";

export interface CanaryPhaseEvent {
  readonly tenant: string;
  readonly name: string;
  readonly phase: CanaryPhase;
  readonly step: "started" | "ok" | "failed";
  readonly revision?: number | undefined;
  readonly targets?: readonly string[] | undefined;
  readonly reason?: string | undefined;
  /** step "failed": the error's code (CHECK_FAILED, UNAVAILABLE, …; ERROR for another error). */
  readonly code?: string | undefined;
}

export interface CanaryContext extends RotationContext {
  readonly rollout: RolloutPlanner;
  /** Default: rotation-canary.json beside the pending file. */
  readonly canaryRecords?: CanaryRecords | undefined;
  /** Before ("started") and after each phase; a rejection stops the phase (fail closed). */
  readonly onPhase?: ((e: CanaryPhaseEvent) => Promise<void>) | undefined;
  /** Awaited after the rollback's write, before its pushes (the runtime's push-on-write, when on, settles first). */
  readonly afterWrite?: (() => Promise<void>) | undefined;
}

export type CanaryResult =
  | { readonly ok: true; readonly record: CanaryRecord }
  | { readonly ok: false; readonly record: CanaryRecord; readonly reason: string };

const FAILED: Partial<Record<CanaryPhase, string>> = {
  canary: "a canary target did not take the new value",
  check: "the canary check failed",
  rollout: "a target after the canaries did not take the new value",
};
const recordsOf = (ctx: CanaryContext) => ctx.canaryRecords ?? new CanaryRecords(dirname(ctx.pending.path));
const why = (err: unknown) => (isPolyvaultError(err) ? `${err.code}: ${err.message}` : (err as Error).message);

/** The tenant's targets, canaries first (in the policy's order), then the rest (in configuration order). */
export function splitTargets(targets: readonly RolloutTarget[], canaries: readonly string[], where: string) {
  const provider = (t: RolloutTarget) => t.name.slice(t.name.lastIndexOf(":") + 1);
  const canary: RolloutTarget[] = [];
  for (const c of canaries) {
    const hits = targets.filter((t) => provider(t) === c);
    if (hits.length === 0) {
      const reach = [...new Set(targets.map(provider))].join(", ") || "none";
      throw new InvalidInputError(`${where}: canary target '${c}' is not a sync target of this tenant's primary (its routes reach: ${reach})`);
    }
    canary.push(...hits);
  }
  return { canary, rest: targets.filter((t) => !canary.includes(t)) };
}

async function phase<T>(ctx: CanaryContext, e: Omit<CanaryPhaseEvent, "step">, fn: () => Promise<T>): Promise<T> {
  await ctx.onPhase?.({ ...e, step: "started" });
  let out: T;
  try {
    out = await fn();
  } catch (err) {
    const code = isPolyvaultError(err) ? err.code : "ERROR";
    await ctx.onPhase?.({ ...e, step: "failed", code, reason: why(err) }).catch(() => undefined);
    throw err;
  }
  await ctx.onPhase?.({ ...e, step: "ok" });
  return out;
}

export async function runCanary(ctx: CanaryContext, name: string, policy: ResolvedPolicy): Promise<CanaryResult> {
  const tenant = ctx.manager.tenant;
  const canary = policy.canary;
  const where = `canary rotation of ${tenant}/${name} (${policy.source})`;
  if (!canary) throw new InvalidInputError(`${where}: the policy has no canary block`);
  splitTargets(await ctx.rollout.targetsFor(tenant, name, 0), canary.targets, where); // unknown targets: refused before any write
  const value = await rotationValue(policy, tenant, name, ctx.env);
  try {
    const staged = await phase(ctx, { tenant, name, phase: "stage" }, () => stageRotation(ctx, name, policy, { value }));
    const records = recordsOf(ctx);
    let rec: Omit<CanaryRecord, "updatedAt"> = {
      tenant,
      name,
      fromRevision: staged.previousRevision,
      toRevision: staged.stagedRevision,
      phase: "canary",
      outcome: "running",
      canaryTargets: [...canary.targets],
      targetsDone: [],
      startedAt: new Date().toISOString(),
    };
    const ev = { tenant, name, revision: staged.stagedRevision };
    const push = async (p: "canary" | "rollout", targets: RolloutTarget[]) => {
      rec = await records.put({ ...rec, phase: p });
      await phase(ctx, { ...ev, phase: p, targets: targets.map((t) => t.name) }, async () => {
        const res = await rollOut(targets, {
          onTargetDone: async (t) => {
            rec = await records.put({ ...rec, targetsDone: [...rec.targetsDone, t] });
          },
        });
        if (!res.ok) throw new Error(res.reason);
      });
    };
    // From here on, whatever fails is rolled back everywhere.
    try {
      const { canary: first, rest } = splitTargets(await ctx.rollout.targetsFor(tenant, name, staged.stagedRevision), canary.targets, where);
      rec = { ...rec, canaryTargets: first.map((t) => t.name) };
      await push("canary", first);
      rec = await records.put({ ...rec, phase: "check" });
      await phase(ctx, { ...ev, phase: "check", targets: rec.canaryTargets }, () =>
        runCanaryCheck(canary, { source: policy.source, tenant, name, revision: staged.stagedRevision, targets: rec.canaryTargets }, value, ctx.env),
      );
      await push("rollout", rest);
    } catch (err) {
      const reason = `${FAILED[rec.phase] ?? `phase ${rec.phase} failed`}: ${why(err)}`;
      await emit(ctx.onEvent, { type: "rotation.failed", tenant, name, revision: staged.stagedRevision, reason });
      return { ok: false, reason, record: await rollBackEverywhere(ctx, rec, reason) };
    }
    return { ok: true, record: await records.put({ ...rec, phase: "done", outcome: "passed" }) };
  } finally {
    value.fill(0);
  }
}

/** Writes the old value again at the primary and pushes it to every target, canaries first; the outcome is in the record. */
async function rollBackEverywhere(ctx: CanaryContext, rec: Omit<CanaryRecord, "updatedAt">, reason: string, force = false): Promise<CanaryRecord> {
  const records = recordsOf(ctx);
  const tenant = rec.tenant;
  let current = await records.put({ ...rec, phase: "rollback", reason });
  try {
    await phase(ctx, { tenant, name: rec.name, phase: "rollback", revision: rec.fromRevision, reason }, async () => {
      const back = await rollbackRotation(ctx, rec.name, { force });
      current = await records.put({ ...current, restoredRevision: back.revision });
      await ctx.afterWrite?.();
      const all = await ctx.rollout.targetsFor(tenant, rec.name, back.revision);
      const { canary, rest } = splitTargets(
        all,
        rec.canaryTargets.map((t) => t.slice(t.lastIndexOf(":") + 1)),
        `rollback of ${tenant}/${rec.name}`,
      );
      // A target the new revision never reached already holds the old value: its push changes nothing.
      const sameValue = (t: RolloutTarget): RolloutTarget => ({
        name: t.name,
        push: () => t.push(),
        readBack: async () => (await t.readBack()) || Boolean(await t.holdsSource?.()),
      });
      const res = await rollOut([...canary, ...rest].map(sameValue));
      if (!res.ok)
        throw new ConflictError(
          `the primary holds the old value again (revision ${back.revision}), but ${res.reason}; \`polyvault sync apply\` carries it there`,
        );
    });
    return await records.put({ ...current, outcome: "rolled-back", targetsDone: [] });
  } catch (err) {
    return await records.put({ ...current, outcome: "rollback-failed", reason: `${reason}; the rollback did not complete: ${why(err)}` });
  }
}

/** `rotation rollback` of a canary rotation: the old value again, at the primary and every target. */
export async function rollbackCanary(ctx: CanaryContext, name: string, options: { force?: boolean } = {}): Promise<CanaryRecord> {
  const tenant = ctx.manager.tenant;
  const rec = (await recordsOf(ctx).get(tenant, name)) ?? (await placeholder(ctx, name));
  const done = await rollBackEverywhere(ctx, rec, "rolled back on request", Boolean(options.force));
  if (done.outcome !== "rolled-back") throw new ConflictError(`rollback of ${tenant}/${name}: ${done.reason ?? "did not complete"}`);
  return done;
}

/** A record for a pending canary rotation whose own record was never written (a crash right after staging). */
async function placeholder(ctx: CanaryContext, name: string): Promise<Omit<CanaryRecord, "updatedAt">> {
  const p = await ctx.pending.get(ctx.manager.tenant, name);
  const now = new Date().toISOString();
  const from = p?.previousRevision ?? 1;
  return {
    tenant: ctx.manager.tenant,
    name,
    fromRevision: from,
    toRevision: p?.stagedRevision ?? from,
    phase: "stage",
    outcome: "running",
    canaryTargets: [],
    targetsDone: [],
    startedAt: now,
  };
}

/** Confirm of a canary rotation: only one that passed (every target holds the new revision). */
export async function confirmCanary(ctx: CanaryContext, name: string) {
  const tenant = ctx.manager.tenant;
  const records = recordsOf(ctx);
  const rec = await records.get(tenant, name);
  const pending = await ctx.pending.get(tenant, name);
  if (rec?.outcome !== "passed" || rec.toRevision !== pending?.stagedRevision)
    throw new ConflictError(
      `the canary rotation of ${tenant}/${name} has not passed (${rec ? `phase ${rec.phase}, ${rec.outcome}` : "no canary record"}); roll it back with \`polyvault rotation rollback\``,
    );
  const staged = await confirmRotation(ctx, name);
  await records.put({ ...rec, outcome: "confirmed" });
  return staged;
}
