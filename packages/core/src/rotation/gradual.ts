/**
 * Gradual rotation: after the new revision is staged at the primary, the tenant's sync targets are
 * updated one at a time, each read back (digest compared, no value read) before the next is touched.
 * The first target that fails stops the rollout: the rotation stays pending, the targets already done
 * are recorded, and `rotation rollback` writes the previous value back (which sync then carries out).
 *
 * The targets come from the sync engine (which knows routes, encryption modes and per-target state);
 * until it is wired in, a policy with `strategy: gradual` fails with a message saying so.
 */
export interface RolloutTarget {
  /** The provider's configured name (for messages and the pending record). */
  readonly name: string;
  /** Copies the tenant's secret at `revision` from the source to this target. */
  push(): Promise<void>;
  /** true when the target now holds `revision` with the source's digest. */
  readBack(): Promise<boolean>;
  /**
   * true when the target holds the source's current value (its digest), whatever revision carried it:
   * after a canary rollback, a target the new revision never reached already holds the old value.
   */
  holdsSource?(): Promise<boolean>;
}

/** Implemented by the sync engine: the ordered targets a secret must reach. */
export interface RolloutPlanner {
  targetsFor(tenant: string, name: string, revision: number): Promise<readonly RolloutTarget[]>;
}

export type RolloutResult =
  | { readonly ok: true; readonly done: readonly string[] }
  | { readonly ok: false; readonly done: readonly string[]; readonly target: string; readonly reason: string };

/** Targets in `skip` (already done by an earlier, interrupted rollout) are not touched again. */
export async function rollOut(
  targets: readonly RolloutTarget[],
  options: { skip?: readonly string[]; onTargetDone?: (name: string) => Promise<void> } = {},
): Promise<RolloutResult> {
  const done = [...(options.skip ?? [])];
  for (const t of targets) {
    if (done.includes(t.name)) continue;
    try {
      await t.push();
      if (!(await t.readBack())) return { ok: false, done, target: t.name, reason: `read-back of target ${t.name} does not show the new revision` };
    } catch (err) {
      return { ok: false, done, target: t.name, reason: `target ${t.name}: ${(err as Error).message}` };
    }
    done.push(t.name);
    await options.onTargetDone?.(t.name);
  }
  return { ok: true, done };
}
