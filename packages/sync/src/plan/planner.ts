/**
 * The planner: for each target and tenant of a route, list both sides (heads only: no value is read)
 * and the recorded state, and diff every name. A no-op sync therefore costs list calls, not reads.
 */
import { ENVELOPE_OVERHEAD, META, type Provider, type SecretHead, type TenantId, listAll } from "@polyvault/core";
import type { StateStore, SyncRecord } from "../state/types.js";
import { diff } from "./diff.js";
import { type Plan, type PlanAction, type RouteSpec, type RouteTarget, summarize } from "./types.js";

export interface PlanOptions {
  /** Only these tenants of the route. */
  readonly tenants?: readonly TenantId[] | undefined;
  /** Only these secret names (push on write plans one secret). */
  readonly names?: readonly string[] | undefined;
  /** Only the names the caller may sync (its grants' secret globs): others are neither planned nor shown. */
  readonly allowName?: ((tenant: TenantId, name: string) => boolean) | undefined;
}

async function heads(provider: Provider, tenant: TenantId, only: Set<string> | undefined): Promise<Map<string, SecretHead>> {
  const out = new Map<string, SecretHead>();
  if (only) {
    for (const name of only) {
      try {
        out.set(name, await provider.head(tenant, name));
      } catch (err) {
        if ((err as { code?: string }).code !== "NOT_FOUND") throw err;
      }
    }
    return out;
  }
  // The largest pages the provider allows: fewer calls (a no-op sync costs list calls only).
  for await (const h of listAll(provider, tenant, provider.capabilities.maxPageSize)) out.set(h.name, h);
  return out;
}

/** Why `target` cannot hold the source secret (name or size), or undefined when it can. */
function unfitReason(target: RouteTarget, tenant: TenantId, source: SecretHead): string | undefined {
  const fit = target.provider.nameFits(tenant, source.name);
  if (!fit.ok) return fit.reason;
  const size = Number(source.metadata[META.size] ?? Number.NaN);
  const needed = target.encryption === "native" ? size - ENVELOPE_OVERHEAD : size;
  if (Number.isFinite(needed) && needed > target.provider.capabilities.maxValueBytes) {
    return `value of ${needed} bytes is over ${target.provider.name}'s limit of ${target.provider.capabilities.maxValueBytes}`;
  }
  return undefined;
}

export async function planRoute(route: RouteSpec, state: StateStore, options: PlanOptions = {}): Promise<Plan> {
  const actions: PlanAction[] = [];
  const stateRefresh: PlanAction[] = [];
  const live: Record<string, number> = {};
  const only = options.names ? new Set(options.names) : undefined;
  const tenants = options.tenants ? route.tenants.filter((t) => options.tenants?.includes(t)) : route.tenants;
  for (const tenant of tenants) {
    const sourceHeads = await heads(route.source, tenant, only);
    for (const target of route.targets) {
      const targetHeads = await heads(target.provider, tenant, only);
      const records = await state.records(route.name, target.provider.name, tenant);
      live[`${target.provider.name}\u0000${tenant}`] = liveCount(only, targetHeads, records);
      const names = new Set([...sourceHeads.keys(), ...targetHeads.keys(), ...(only ? [...records.keys()].filter((n) => only.has(n)) : records.keys())]);
      for (const name of [...names].sort()) {
        if (options.allowName && !options.allowName(tenant, name)) continue;
        const source = sourceHeads.get(name);
        const tgt = targetHeads.get(name);
        const record: SyncRecord | undefined = records.get(name);
        const r = diff({
          source,
          target: tgt,
          record,
          prune: route.prune,
          conflict: route.conflict,
          unfit: source ? unfitReason(target, tenant, source) : undefined,
        });
        const base = { route: route.name, target: target.provider.name, tenant, name, encryption: target.encryption };
        if (!r) {
          // Matches nothing in either provider: removed (an unauthenticated record never reaches here).
          stateRefresh.push({ ...base, action: "noop", reason: "stale record", apply: "none" });
          continue;
        }
        const sourceRevision = source ? Number(source.metadata[META.revision]) : undefined;
        const action: PlanAction = {
          ...base,
          ...r,
          sourceRevision,
          sourceDigest: source?.metadata[META.digest],
          expectTargetVersion: tgt ? tgt.version : null,
        };
        actions.push(action);
      }
    }
  }
  return { actions, summary: summarize(actions), stateRefresh, live };
}

/**
 * Target secrets whose current version an authenticated record of this route vouches for. A one-name
 * plan (push on write) has one head: it counts the authenticated records instead (a forged record never
 * counts; listing the whole target on every push would cost a read per secret on Vault).
 */
function liveCount(only: Set<string> | undefined, targetHeads: Map<string, SecretHead>, records: Map<string, SyncRecord>): number {
  if (only) return records.size;
  let n = 0;
  for (const [name, r] of records) if (targetHeads.get(name)?.version === r.targetVersion) n++;
  return n;
}
