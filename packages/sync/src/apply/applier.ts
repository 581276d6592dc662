/**
 * The applier: carries out a plan. Every write and delete is journalled before and after; writes use
 * check-and-set against the target version the plan saw; values are read from the source in batches only
 * for the secrets that change. A crash at any point is repaired by the next plan: a write that landed
 * but was not recorded shows as in sync (same digest) and is only recorded, never written twice.
 */
import { randomUUID } from "node:crypto";
import { CheckFailedError, type Keyring, META, type Provider, type StoredSecret, type TenantId, isPolyvaultError } from "@polyvault/core";
import type { Plan, PlanAction, RouteSpec } from "../plan/types.js";
import type { StateStore } from "../state/types.js";
import { guardActions } from "./guard.js";
import { holdsSourceValue, prepare, sealedRevision } from "./verify.js";

export interface ApplyOptions {
  readonly keyring: Keyring;
  readonly runId?: string | undefined;
  /** Allow deletions and overwrites over the route's guard (see guard.ts). */
  readonly confirm?: boolean | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** Actions in flight at once across all targets (each provider's gate limits further). */
  readonly parallel?: number | undefined;
}

export interface ApplyFailure {
  readonly target: string;
  readonly tenant: string;
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

export interface ApplyCounts {
  created: number;
  updated: number;
  repaired: number;
  deleted: number;
  conflictsLeft: number;
  driftLeft: number;
  stateRecorded: number;
  /** Target copies read back, found to hold the source's value, and recorded (no write). */
  verified: number;
  /** Actions the guard refused (also in failures, code CHECK_FAILED). */
  refused: number;
  failed: number;
}

export interface ApplyResult {
  readonly runId: string;
  readonly counts: ApplyCounts;
  readonly failures: ApplyFailure[];
}

const CHUNK = 200;

export async function applyPlan(route: RouteSpec, plan: Plan, state: StateStore, options: ApplyOptions): Promise<ApplyResult> {
  const runId = options.runId ?? randomUUID();
  const counts: ApplyCounts = {
    created: 0,
    updated: 0,
    repaired: 0,
    deleted: 0,
    conflictsLeft: 0,
    driftLeft: 0,
    stateRecorded: 0,
    verified: 0,
    refused: 0,
    failed: 0,
  };
  const failures: ApplyFailure[] = [];
  const targets = new Map(route.targets.map((t) => [t.provider.name, t]));
  const fail = (a: PlanAction, err: unknown) => {
    counts.failed++;
    const e = isPolyvaultError(err) ? err : undefined;
    failures.push({
      target: a.target,
      tenant: a.tenant,
      name: a.name,
      code: e?.code ?? "INTERNAL",
      message: e?.message ?? String((err as Error)?.message ?? err),
    });
  };
  for (const a of plan.actions) {
    if (a.apply === "none" && a.action === "conflict") counts.conflictsLeft++;
    if (a.apply === "none" && a.action === "drift") counts.driftLeft++;
  }
  for (const a of plan.stateRefresh) await state.remove(route.name, a.target, a.tenant, a.name);

  // No retry here: each provider call already retries through core's engine (providers' `retries`,
  // within `timeoutMs`), the one retry layer. A failed action is reported and retried by the next run.

  // Read back what no authenticated record vouches for; what does not hold the source's value is drift.
  // Verification comes before the guard: a copy read back and recorded here is vouched for (a write a
  // killed run left unrecorded), so it counts among the verified secrets the guard's bounds are made of.
  const rewrites: PlanAction[] = [];
  const verifiedBy = new Map<string, number>();
  const toVerify = plan.actions.filter((x) => x.apply === "verify");
  for (let i = 0; i < toVerify.length; i += CHUNK) {
    await Promise.all(
      toVerify.slice(i, i + CHUNK).map(async (a) => {
        const target = targets.get(a.target);
        if (!target) return;
        try {
          const stored = await target.provider.get(a.tenant as TenantId, a.name);
          const ok = holdsSourceValue(options.keyring, a, target.encryption, stored);
          // A copy no record names may be this route's own write that a stopped run never recorded: an
          // envelope whose sealed revision is after the recorded one (and, for a conflict, before the source's).
          const deletedInSource = a.sourceDigest === undefined && a.sourceRevision === undefined;
          const rev = !ok && a.recordRevision !== undefined ? sealedRevision(options.keyring, a, target.encryption, stored) : undefined;
          const after = rev !== undefined && rev > (a.recordRevision ?? 0);
          const ours = after && a.action === "conflict" && a.sourceRevision !== undefined && (rev as number) < a.sourceRevision;
          stored.value.fill(0);
          if (ok) {
            await state.upsert({
              route: route.name,
              target: a.target,
              tenant: a.tenant,
              name: a.name,
              sourceDigest: a.sourceDigest ?? "",
              sourceRevision: a.sourceRevision ?? 0,
              targetVersion: stored.version,
              syncedAt: new Date(),
            });
            counts.verified++;
            counts.stateRecorded++;
            const key = `${a.target}\u0000${a.tenant}`;
            verifiedBy.set(key, (verifiedBy.get(key) ?? 0) + 1);
          } else if (ours) {
            rewrites.push({
              ...a,
              action: "update",
              apply: "write",
              reason: "the target holds an earlier revision of the source's value, written by a run that stopped before recording it: updated",
              expectTargetVersion: stored.version,
            });
          } else if (deletedInSource) {
            if (after)
              rewrites.push({
                ...a,
                action: "delete",
                apply: "delete",
                reason: "deleted in source; the target held a later revision of its value, written by a run that stopped before recording it: deleted (prune)",
                expectTargetVersion: stored.version,
              });
            else counts.driftLeft++;
          } else if (route.conflict === "source-wins") {
            rewrites.push({
              ...a,
              action: "drift",
              apply: "write",
              reason: "the target's copy does not hold the source's value; source-wins: rewritten",
              expectTargetVersion: stored.version,
            });
          } else if (a.action === "conflict") {
            counts.conflictsLeft++;
          } else {
            counts.driftLeft++;
          }
        } catch (err) {
          fail(a, err);
        }
      }),
    );
  }

  // The guard sees every write and delete, the rewrites verification asked for included, against the
  // verified secrets as they are now (the plan's count plus those just read back and recorded).
  const live = { ...plan.live };
  for (const [key, n] of verifiedBy) live[key] = (live[key] ?? 0) + n;
  const candidates = [...plan.actions.filter((a) => a.apply === "write" || a.apply === "delete"), ...rewrites];
  const refused = await guardActions(route, { ...plan, actions: candidates, live }, state, options.confirm ?? false);
  for (const [a, message] of refused) {
    counts.refused++;
    fail(a, new CheckFailedError(message));
  }
  const work = candidates.filter((a) => !refused.has(a));

  let done = 0;
  for (let i = 0; i < work.length; i += CHUNK) {
    const chunk = work.slice(i, i + CHUNK);
    const values = await readSources(
      route.source,
      chunk.filter((a) => a.apply === "write"),
    );
    await Promise.all(
      chunk.map(async (a) => {
        const target = targets.get(a.target);
        if (!target) return;
        const journal = await state.journalBegin({
          runId,
          route: route.name,
          target: a.target,
          tenant: a.tenant,
          name: a.name,
          action: a.apply === "delete" ? "delete" : a.action === "create" ? "create" : "update",
          sourceDigest: a.sourceDigest,
        });
        try {
          if (a.apply === "delete") {
            await target.provider.delete(a.tenant as TenantId, a.name);
            await state.remove(route.name, a.target, a.tenant, a.name);
            counts.deleted++;
          } else {
            const stored = values.get(`${a.tenant}\u0000${a.name}`);
            if (!stored) throw new CheckFailedError(`source secret ${a.name} disappeared before it could be copied`);
            const { value, metadata, revision } = prepare(stored, { ...a, encryption: target.encryption }, options.keyring);
            try {
              const head = await target.provider.put(a.tenant as TenantId, a.name, value, { metadata, ifVersion: a.expectTargetVersion });
              await state.upsert({
                route: route.name,
                target: a.target,
                tenant: a.tenant,
                name: a.name,
                sourceDigest: metadata[META.digest] ?? "",
                sourceRevision: revision,
                targetVersion: head.version,
                syncedAt: new Date(),
              });
            } finally {
              if (target.encryption === "native") value.fill(0);
            }
            if (a.action === "create") counts.created++;
            else if (a.action === "update") counts.updated++;
            else counts.repaired++;
          }
          await state.journalEnd(journal, "done");
        } catch (err) {
          await state.journalEnd(journal, "failed", isPolyvaultError(err) ? err.code : "INTERNAL");
          fail(a, err);
        } finally {
          options.onProgress?.(++done, work.length);
        }
      }),
    );
    for (const v of values.values()) v.value.fill(0);
  }
  return { runId, counts, failures };
}

/** Reads the source values a chunk needs, batched by the source's batch size. */
async function readSources(source: Provider, actions: readonly PlanAction[]): Promise<Map<string, StoredSecret>> {
  const out = new Map<string, StoredSecret>();
  const byTenant = new Map<string, string[]>();
  for (const a of actions) {
    const list = byTenant.get(a.tenant) ?? [];
    if (!list.includes(a.name)) list.push(a.name);
    byTenant.set(a.tenant, list);
  }
  const batch = Math.max(1, source.capabilities.batchGet);
  const jobs: Array<Promise<void>> = [];
  for (const [tenant, names] of byTenant) {
    for (let i = 0; i < names.length; i += batch) {
      const slice = names.slice(i, i + batch);
      jobs.push(
        source.getMany(tenant as TenantId, slice).then((got) => {
          for (const [name, s] of got) out.set(`${tenant}\u0000${name}`, s);
        }),
      );
    }
  }
  await Promise.all(jobs);
  return out;
}
