/**
 * The planner: for each target and tenant of a route, list both sides (heads only: no value is read)
 * and the recorded state, and diff every name. A no-op sync therefore costs list calls, not reads, and
 * the source is listed once per tenant, whatever the number of targets.
 */
import { ENVELOPE_OVERHEAD, META, type SecretHead, type TenantId } from "@polyvault/core";
import type { StateStore, SyncRecord } from "../state/types.js";
import { diff } from "./diff.js";
import { headIndex, streamHeads } from "./heads.js";
import { type Plan, type PlanAction, type RouteSpec, type RouteTarget, summarize } from "./types.js";

export interface PlanOptions {
  /** Only these tenants of the route. */
  readonly tenants?: readonly TenantId[] | undefined;
  /** Only these secret names (push on write plans one secret). */
  readonly names?: readonly string[] | undefined;
  /** Only the names the caller may sync (its grants' secret globs): others are neither planned nor shown. */
  readonly allowName?: ((tenant: TenantId, name: string) => boolean) | undefined;
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

/** One target of a tenant: its heads and records (held while the source streams by) and its decisions so far. */
interface Side {
  readonly target: RouteTarget;
  readonly heads: Map<string, SecretHead>;
  readonly records: Map<string, SyncRecord>;
  /** By name: an action, or a stale record to remove (a name listed twice is decided again: the last head wins). */
  readonly decided: Map<string, { readonly action: PlanAction; readonly refresh: boolean }>;
}

function decide(route: RouteSpec, tenant: TenantId, side: Side, name: string, source: SecretHead | undefined): void {
  const { target } = side;
  const tgt = side.heads.get(name);
  const record = side.records.get(name);
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
    side.decided.set(name, { action: { ...base, action: "noop", reason: "stale record", apply: "none" }, refresh: true });
    return;
  }
  const sourceRevision = source ? Number(source.metadata[META.revision]) : undefined;
  const action = { ...base, ...r, sourceRevision, sourceDigest: source?.metadata[META.digest], expectTargetVersion: tgt ? tgt.version : null };
  side.decided.set(name, { action, refresh: false });
}

/**
 * Each target's heads and records are indexed first (compactly: heads.ts); then the source is read page
 * by page and each of its secrets decided for every target as it arrives, so the source's heads are never
 * all held. What is left — names only in a target or only in the records — is decided last. Actions come
 * out per tenant, per target, by name.
 */
export async function planRoute(route: RouteSpec, state: StateStore, options: PlanOptions = {}): Promise<Plan> {
  const actions: PlanAction[] = [];
  const stateRefresh: PlanAction[] = [];
  const live: Record<string, number> = {};
  const only = options.names ? new Set(options.names) : undefined;
  const tenants = options.tenants ? route.tenants.filter((t) => options.tenants?.includes(t)) : route.tenants;
  const allowed = (tenant: TenantId, name: string) => !options.allowName || options.allowName(tenant, name);
  for (const tenant of tenants) {
    const sides: Side[] = [];
    for (const target of route.targets) {
      const heads = await headIndex(target.provider, tenant, only);
      const records = await state.records(route.name, target.provider.name, tenant);
      live[`${target.provider.name}\u0000${tenant}`] = liveCount(only, heads, records);
      sides.push({ target, heads, records, decided: new Map() });
    }
    for await (const source of streamHeads(route.source, tenant, only)) {
      if (!allowed(tenant, source.name)) continue;
      for (const side of sides) decide(route, tenant, side, source.name, source);
    }
    for (const side of sides) {
      const rest = [...side.heads.keys(), ...(only ? [...side.records.keys()].filter((n) => only.has(n)) : side.records.keys())];
      for (const name of rest) if (!side.decided.has(name) && allowed(tenant, name)) decide(route, tenant, side, name, undefined);
      for (const name of [...side.decided.keys()].sort()) {
        const d = side.decided.get(name) as { action: PlanAction; refresh: boolean };
        (d.refresh ? stateRefresh : actions).push(d.action);
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
