/**
 * `rotation run` for one tenant: rotates every secret that is due or overdue (or the one named, with
 * `force` even when it is not due), with the strategy its policy names. Each secret's outcome is
 * reported; a failure is reported to `onEvent` (alerts) and does not stop the others.
 */
import { InvalidInputError, isPolyvaultError } from "../errors.js";
import { type RotationContext, confirmRotation, stageRotation } from "./blue-green.js";
import { type CanaryPhaseEvent, confirmCanary, runCanary } from "./canary.js";
import type { CanaryRecords } from "./canary-record.js";
import { emitRotationEvent as emit } from "./events.js";
import { type RolloutPlanner, rollOut } from "./gradual.js";
import type { ResolvedPolicy, RotationPolicies } from "./policy.js";
import { type RotationDue, rotationSchedule } from "./schedule.js";

export type RotationOutcomeKind = "staged" | "confirmed" | "skipped" | "failed" | "rolled-back";

export interface RotationOutcome {
  readonly tenant: string;
  readonly name: string;
  readonly outcome: RotationOutcomeKind;
  readonly status: RotationDue["status"];
  readonly fromRevision?: number | undefined;
  readonly toRevision?: number | undefined;
  readonly reason?: string | undefined;
}

export interface RotationRunOptions extends RotationContext {
  readonly policies: RotationPolicies;
  /** Only this secret. */
  readonly secret?: string | undefined;
  /** Rotate even when not due (only together with `secret`: the CLI enforces it). */
  readonly force?: boolean | undefined;
  /** Promote right after the read-back instead of waiting for `rotation confirm`. */
  readonly confirm?: boolean | undefined;
  /** The sync engine's targets, for `strategy: gradual`. */
  readonly rollout?: RolloutPlanner | undefined;
  /** `strategy: canary`: where phases are recorded (default beside the pending file), and each phase's hook (audit). */
  readonly canaryRecords?: CanaryRecords | undefined;
  readonly onPhase?: ((e: CanaryPhaseEvent) => Promise<void>) | undefined;
  /** Every write is pushed to all targets at once (push-on-write): a canary cannot hold the others back, so it is refused. */
  readonly pushesEveryWrite?: boolean | undefined;
  readonly now?: Date | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
}

export async function runRotations(options: RotationRunOptions): Promise<RotationOutcome[]> {
  const tenant = options.manager.tenant;
  const schedule = await rotationSchedule({
    tenant,
    provider: options.manager.primary,
    policies: options.policies,
    now: options.now,
    pending: await options.pending.list(),
  });
  const chosen = schedule.filter((s) => (options.secret === undefined ? s.status === "due" || s.status === "overdue" : s.name === options.secret));
  const out: RotationOutcome[] = [];
  for (const [i, s] of chosen.entries()) {
    out.push(await rotateOne(options, s));
    options.onProgress?.(i + 1, chosen.length);
  }
  return out;
}

async function rotateOne(options: RotationRunOptions, s: RotationDue): Promise<RotationOutcome> {
  const base = { tenant: s.tenant, name: s.name, status: s.status, fromRevision: s.revision };
  if (s.status === "pending")
    return { ...base, outcome: "skipped", reason: `a rotation to revision ${s.pendingRevision ?? "?"} waits for confirm or rollback` };
  if (s.status === "ok" && !options.force) return { ...base, outcome: "skipped", reason: `not due until ${s.nextDueAt?.toISOString()}` };
  const policy = options.policies.resolve(s.tenant, s.name);
  try {
    if (policy.strategy === "canary") return await canaryOne(options, base, policy);
    if (policy.strategy === "gradual" && !options.rollout) {
      throw new InvalidInputError("gradual rotation needs the sync engine's targets, which are not available in this build; use strategy blue-green");
    }
    const staged = await stageRotation(options, s.name, policy);
    if (policy.strategy === "gradual" && options.rollout) {
      const targets = await options.rollout.targetsFor(s.tenant, s.name, staged.stagedRevision);
      const result = await rollOut(targets, {
        onTargetDone: async (target) => {
          const entry = await options.pending.get(s.tenant, s.name);
          if (entry) await options.pending.put({ ...entry, targetsDone: [...(entry.targetsDone ?? []), target] });
        },
      });
      if (!result.ok) {
        await emit(options.onEvent, {
          type: "rotation.failed",
          tenant: s.tenant,
          name: s.name,
          revision: staged.stagedRevision,
          target: result.target,
          reason: result.reason,
        });
        return {
          ...base,
          outcome: "failed",
          toRevision: staged.stagedRevision,
          reason: `${result.reason}; the rotation stays pending (roll back with \`polyvault rotation rollback\`)`,
        };
      }
    }
    if (options.confirm) {
      await confirmRotation(options, s.name);
      return { ...base, outcome: "confirmed", toRevision: staged.stagedRevision };
    }
    return { ...base, outcome: "staged", toRevision: staged.stagedRevision };
  } catch (err) {
    const reason = isPolyvaultError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
    await emit(options.onEvent, { type: "rotation.failed", tenant: s.tenant, name: s.name, revision: s.revision, reason });
    return { ...base, outcome: "failed", reason };
  }
}

async function canaryOne(options: RotationRunOptions, base: Omit<RotationOutcome, "outcome">, policy: ResolvedPolicy): Promise<RotationOutcome> {
  if (!options.rollout) throw new InvalidInputError("canary rotation needs the sync engine's targets, which are not available here");
  if (options.pushesEveryWrite)
    throw new InvalidInputError("canary rotation cannot run while every write is pushed to all targets at once (open the runtime with pushOnWrite: false)");
  const ctx = { ...options, rollout: options.rollout };
  const r = await runCanary(ctx, base.name, policy);
  if (!r.ok) {
    const outcome = r.record.outcome === "rolled-back" ? "rolled-back" : "failed";
    return { ...base, outcome, toRevision: r.record.toRevision, reason: `${r.record.reason ?? r.reason}` };
  }
  if (options.confirm) {
    await confirmCanary(ctx, base.name);
    return { ...base, outcome: "confirmed", toRevision: r.record.toRevision };
  }
  return { ...base, outcome: "staged", toRevision: r.record.toRevision };
}
