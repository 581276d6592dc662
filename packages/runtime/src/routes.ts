/**
 * The sync side of configuration made live: routes resolved against the runtime's providers, and what
 * vouches for a mirror's copy in a failover read (the newest sync record of a route into it).
 */
import { type MirrorRecord, type Provider, type TenantId, parseTenantId } from "@polyvault/core";
import { GUARD_DEFAULTS, type RouteSpec, type StateStore, type SyncRecord } from "@polyvault/sync";
import type { PolyvaultConfig } from "./config/schema.js";

const targetName = (t: string | { provider: string }): string => (typeof t === "string" ? t : t.provider);

/** What the runtime lends route resolution. */
export interface RouteContext {
  readonly config: PolyvaultConfig;
  provider(name: string): Provider;
  /** The tenant's primary store's name, or undefined when it has none. */
  primaryOf(tenant: TenantId): string | undefined;
}

/** Routes resolved against the live providers ("*" = every tenant in `all`). */
export function resolveRoutes(ctx: RouteContext, all: readonly TenantId[]): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const [name, rc] of Object.entries(ctx.config.routes ?? {})) {
    out.push({
      name,
      source: ctx.provider(rc.source),
      targets: rc.targets.map((t) =>
        typeof t === "string"
          ? { provider: ctx.provider(t), encryption: "envelope" as const }
          : { provider: ctx.provider(t.provider), encryption: t.encryption ?? "envelope" },
      ),
      // Never a tenant whose primary is one of the targets: a route must not write over a primary
      // (configuration refuses it for listed tenants; this covers "*" and tenants found in providers).
      tenants: (rc.tenants === "*" ? all : rc.tenants.map(parseTenantId)).filter((t) => {
        const primary = ctx.primaryOf(t);
        return !rc.targets.some((x) => targetName(x) === primary);
      }),
      schedule: rc.schedule,
      prune: rc.prune ?? false,
      conflict: rc.conflict ?? "source-wins",
      maxDeleteFraction: rc.maxDeleteFraction ?? 0.1,
      guard: {
        deleteFloor: rc.guard?.deleteFloor ?? GUARD_DEFAULTS.deleteFloor,
        updateFraction: rc.guard?.updateFraction ?? GUARD_DEFAULTS.updateFraction,
        updateFloor: rc.guard?.updateFloor ?? GUARD_DEFAULTS.updateFloor,
        windowMs: (rc.guard?.windowMinutes ?? GUARD_DEFAULTS.windowMs / 60_000) * 60_000,
      },
    });
  }
  return out;
}

/**
 * The newest authenticated record of a route into `mirror` for this secret, with the encryption mode that
 * route's target is configured with.
 */
export async function mirrorRecordOf(
  config: PolyvaultConfig,
  state: StateStore,
  tenant: TenantId,
  mirror: string,
  name: string,
): Promise<MirrorRecord | undefined> {
  // The newest (the first of equals) whose route still targets the mirror: one pass, no sorted copy (a
  // failover read asks this on every read).
  let best: { record: SyncRecord; encryption: "envelope" | "native" } | undefined;
  for (const r of await state.recordsOf(mirror, tenant, name)) {
    if (best && r.syncedAt.getTime() <= best.record.syncedAt.getTime()) continue;
    const target = config.routes?.[r.route]?.targets.find((t) => targetName(t) === mirror);
    if (!target) continue;
    best = { record: r, encryption: typeof target === "string" ? "envelope" : (target.encryption ?? "envelope") };
  }
  if (!best) return undefined;
  const { record: r, encryption } = best;
  return { revision: r.sourceRevision, digest: r.sourceDigest, encryption, syncedAt: r.syncedAt };
}
