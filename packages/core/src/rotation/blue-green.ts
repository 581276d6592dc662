/**
 * Blue-green rotation of one secret. stage: the new value is written as a new revision and read back;
 * the previous revision stays readable (`secrets get --version N`) and is recorded as pending.
 * confirm: the pending record is closed (the new revision is the one in use). rollback: the previous
 * value is written again as a new revision (revisions never go backwards) and the record is closed.
 *
 * Crash safety: the pending record is written as "staging" before the new revision and completed
 * after, so an interruption leaves a record that confirm/rollback can still settle.
 */
import { timingSafeEqual } from "node:crypto";
import { ConflictError, IntegrityError, NotFoundError } from "../errors.js";
import { revisionOf } from "../manager/metadata.js";
import type { SecretManager } from "../manager/secret-manager.js";
import { type RotationEventSink, emitRotationEvent as emit } from "./events.js";
import type { PendingRotation, PendingRotations } from "./pending.js";
import type { ResolvedPolicy } from "./policy.js";
import { rotationValue } from "./value-source.js";

export interface RotationContext {
  readonly manager: SecretManager;
  readonly pending: PendingRotations;
  readonly onEvent?: RotationEventSink | undefined;
  /** Environment handed to rotation commands (default process.env, minus Polyvault's credentials). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface Staged {
  readonly previousRevision: number;
  readonly stagedRevision: number;
}

async function currentRevision(ctx: RotationContext, name: string): Promise<number> {
  const head = await ctx.manager.primary.head(ctx.manager.tenant, name);
  const rev = revisionOf(head.metadata);
  if (rev === undefined || !head.managed)
    throw new ConflictError(`secret ${JSON.stringify(name)} in tenant ${ctx.manager.tenant} is not managed by Polyvault; adopt it before rotating`);
  return rev;
}

/** `options.value`: the new value, made by the caller (who keeps and wipes its own copy); else from the policy. */
export async function stageRotation(ctx: RotationContext, name: string, policy: ResolvedPolicy, options: { value?: Buffer } = {}): Promise<Staged> {
  const { manager, pending } = ctx;
  const tenant = manager.tenant;
  const open = await pending.get(tenant, name);
  if (open)
    throw new ConflictError(`a rotation of ${tenant}/${name} is already pending (revision ${open.stagedRevision ?? "?"}); confirm or roll it back first`);
  const previousRevision = await currentRevision(ctx, name);
  const value = options.value ? Buffer.from(options.value) : await rotationValue(policy, tenant, name, ctx.env);
  try {
    const base = { tenant, name, previousRevision, strategy: policy.strategy, stagedAt: new Date().toISOString() } as const;
    await pending.put({ ...base, state: "staging" });
    let version: number;
    try {
      ({ version } = await manager.rotate(name, { value }));
    } catch (err) {
      // Nothing was written unless the head moved: then there is nothing pending either.
      if ((await currentRevision(ctx, name).catch(() => undefined)) === previousRevision) await pending.remove(tenant, name);
      throw err;
    }
    await pending.put({ ...base, state: "staged", stagedRevision: version });
    const back = await manager.get(name, { version });
    try {
      const same = back.bytes().length === value.length && timingSafeEqual(back.bytes(), value);
      if (!same) throw new IntegrityError(`read-back of ${tenant}/${name} revision ${version} does not match what was written`);
    } finally {
      back.wipe();
    }
    await emit(ctx.onEvent, { type: "rotation.staged", tenant, name, revision: version, previousRevision });
    return { previousRevision, stagedRevision: version };
  } finally {
    value.fill(0);
  }
}

/** The pending record, settled against the store: a "staging" record whose write never happened is dropped. */
async function settled(ctx: RotationContext, name: string): Promise<{ entry: PendingRotation; staged: number; current: number }> {
  const tenant = ctx.manager.tenant;
  const entry = await ctx.pending.get(tenant, name);
  if (!entry) throw new NotFoundError(`no rotation of ${tenant}/${name} is pending`);
  const current = await currentRevision(ctx, name);
  if (entry.state === "staging" && current === entry.previousRevision) {
    await ctx.pending.remove(tenant, name);
    throw new NotFoundError(`the rotation of ${tenant}/${name} was interrupted before its new revision was written; nothing is pending any more`);
  }
  return { entry, staged: entry.stagedRevision ?? current, current };
}

export async function confirmRotation(ctx: RotationContext, name: string): Promise<Staged> {
  const tenant = ctx.manager.tenant;
  const { entry, staged, current } = await settled(ctx, name);
  if (current !== staged) {
    throw new ConflictError(`${tenant}/${name} changed after the rotation was staged (revision ${staged}, now ${current}); roll back or check who wrote it`);
  }
  await ctx.pending.remove(tenant, name);
  await emit(ctx.onEvent, { type: "rotation.confirmed", tenant, name, revision: staged, previousRevision: entry.previousRevision });
  return { previousRevision: entry.previousRevision, stagedRevision: staged };
}

/** Writes the previous value again as a new revision. `force` rolls back even over a later write. */
export async function rollbackRotation(
  ctx: RotationContext,
  name: string,
  options: { force?: boolean } = {},
): Promise<{ restoredRevision: number; revision: number }> {
  const tenant = ctx.manager.tenant;
  const { entry, staged, current } = await settled(ctx, name);
  if (current !== staged && !options.force) {
    throw new ConflictError(`${tenant}/${name} changed after the rotation was staged (revision ${staged}, now ${current}); use --force to roll back anyway`);
  }
  const previous = await ctx.manager.get(name, { version: entry.previousRevision });
  let revision: number;
  try {
    ({ version: revision } = await ctx.manager.rotate(name, { value: previous.bytes() }));
  } finally {
    previous.wipe();
  }
  await ctx.pending.remove(tenant, name);
  await emit(ctx.onEvent, { type: "rotation.rolled-back", tenant, name, revision, previousRevision: entry.previousRevision });
  return { restoredRevision: entry.previousRevision, revision };
}
