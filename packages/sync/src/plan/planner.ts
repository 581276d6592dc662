/**
 * The planner: for each target and tenant of a route, list both sides (heads only: no value is read)
 * and the recorded state, and diff every name. A no-op sync therefore costs list calls, not reads, and
 * the source is listed once per tenant, whatever the number of targets.
 */
import { ENVELOPE_OVERHEAD, META, type SecretHead, type TenantId } from "@polyvault/core";
import type { StateStore } from "../state/types.js";
import { diff } from "./diff.js";
import { streamHeads } from "./heads.js";
import { type TargetEntry, diffInputs, indexTarget } from "./target-index.js";
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

/** One target of a tenant: its index (target-index.ts) and its decisions so far. */
interface Side {
  readonly target: RouteTarget;
  readonly index: Map<string, TargetEntry>;
  /** By name (a name the source lists twice is decided again: the last head wins). */
  readonly decided: Map<string, PlanAction>;
  /** Names whose record matches nothing in either provider: removed by apply, not shown. */
  readonly stale: Set<string>;
}

function decide(route: RouteSpec, tenant: TenantId, side: Side, name: string, source: SecretHead | undefined): void {
  const { target } = side;
  const e = side.index.get(name);
  const { target: tgt, record } = diffInputs(e, { route: route.name, target: target.provider.name, tenant });
  const r = diff({
    source,
    target: tgt,
    record,
    prune: route.prune,
    conflict: route.conflict,
    unfit: source ? unfitReason(target, tenant, source) : undefined,
  });
  const base = { route: route.name, target: target.provider.name, tenant, name: e?.name ?? name, encryption: target.encryption };
  if (!r) {
    // Matches nothing in either provider: removed (an unauthenticated record never reaches here).
    side.decided.set(name, { ...base, action: "noop", reason: "stale record", apply: "none" });
    side.stale.add(name);
    return;
  }
  side.stale.delete(name);
  const sourceRevision = source ? Number(source.metadata[META.revision]) : undefined;
  // The digest string the index already holds, when it is the same (an in-sync secret's).
  const sd = source?.metadata[META.digest];
  const sourceDigest = sd !== undefined && sd === e?.recordDigest ? e.recordDigest : sd !== undefined && sd === e?.digest ? e.digest : sd;
  // Every property in one literal (not spreads): a fast object of ~120 bytes, not a dictionary of ~500.
  side.decided.set(name, {
    route: base.route,
    target: base.target,
    tenant,
    name: base.name,
    encryption: base.encryption,
    action: r.action,
    reason: r.reason,
    apply: r.apply,
    sourceRevision,
    sourceDigest,
    recordRevision: r.apply === "verify" && (r.action === "conflict" || !source) ? (record?.sourceRevision ?? 0) : undefined,
    expectTargetVersion: tgt ? tgt.version : null,
  });
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
      const records = await state.records(route.name, target.provider.name, tenant);
      const index = await indexTarget(target.provider, tenant, only, records);
      live[`${target.provider.name}\u0000${tenant}`] = index.live;
      sides.push({ target, index: index.entries, decided: new Map(), stale: new Set() });
    }
    for await (const source of streamHeads(route.source, tenant, only)) {
      if (!allowed(tenant, source.name)) continue;
      for (const side of sides) decide(route, tenant, side, source.name, source);
    }
    for (const side of sides) {
      for (const name of side.index.keys()) if (!side.decided.has(name) && allowed(tenant, name)) decide(route, tenant, side, name, undefined);
      side.index.clear();
      for (const name of [...side.decided.keys()].sort()) (side.stale.has(name) ? stateRefresh : actions).push(side.decided.get(name) as PlanAction);
    }
  }
  return { actions, summary: summarize(actions), stateRefresh, live };
}
