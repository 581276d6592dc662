/**
 * Canary rotation in the operations layer: the audit records of each phase, the sync engine's targets,
 * and `rotation status` (pending rotations with each canary's phase and outcome; permission `list`,
 * no value read).
 *
 * Each canary phase (stage, canary, check, rollout, rollback) gets an audit record `rotation.canary.<phase>`
 * with outcome "started" before it runs and "ok" or the error code after, under the request id of the
 * operation that runs it. The detail names the revision and the targets; never a value. A phase whose
 * "started" record cannot be written does not run (the rotation is then rolled back, or stays pending).
 */
import { randomUUID } from "node:crypto";
import { type CanaryPhaseEvent, type CanaryRecord, CanaryRecords, type PendingRotation, PendingRotations, type TenantId, clipAuditText } from "@polyvault/core";
import { syncRollout } from "@polyvault/sync";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type Caller, type OperationOptions, detailOf, runOperation } from "./operation.js";

/** The caller with a request id of its own, so that the phase records share the operation's. */
export function withRequestId(caller: Caller): Caller & { requestId: string } {
  return { ...caller, requestId: caller.requestId ?? randomUUID() };
}

export function canaryPhaseAudit(caller: Caller & { requestId: string }): (e: CanaryPhaseEvent) => Promise<void> {
  return (e) =>
    caller.security.record({
      actor: caller.actor,
      action: `rotation.canary.${e.phase}`,
      tenant: e.tenant,
      name: e.name,
      requestId: caller.requestId,
      outcome: e.step === "failed" ? (e.code ?? "ERROR") : e.step,
      detail: detailOf({ revision: e.revision, targets: e.targets?.join(",") || undefined }),
      ...(e.reason ? { reason: clipAuditText(e.reason) } : {}),
    });
}

/** The sync engine's targets of every tenant (gradual and canary rotations push through them). */
export async function rolloutOf(rt: Runtime) {
  return syncRollout({ routes: await rt.routes(), state: await rt.state(), keyring: rt.keyring, source: (t) => rt.placement(t).primary.name });
}

export interface StatusOptions extends OperationOptions {
  readonly tenant?: string | undefined;
}

export interface RotationStatusReport {
  /** Rotations that wait for confirm or rollback (every strategy). */
  readonly pending: PendingRotation[];
  /** The latest canary rotation of each secret: phase, outcome, targets, reason. */
  readonly canaries: CanaryRecord[];
}

/** Pending rotations and canary phases/outcomes, from Polyvault's own records (no provider call, no value). */
export function rotationStatus(rt: Runtime, options: StatusOptions = {}): Promise<RotationStatusReport> {
  const tenant: TenantId | undefined = options.tenant === undefined ? undefined : rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "rotation.status", permission: "list", tenant, changes: false },
    async () => {
      const mine = <T extends { tenant: string }>(all: T[]) => (tenant === undefined ? all : all.filter((x) => x.tenant === tenant));
      return {
        pending: mine(await new PendingRotations(rt.dataDir).list()),
        canaries: mine(await new CanaryRecords(rt.dataDir).list()),
      };
    },
    (r) => ({ detail: detailOf({ pending: r.pending.length, canaries: r.canaries.length }) }),
  );
}
