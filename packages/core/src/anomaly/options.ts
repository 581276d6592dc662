/**
 * The thresholds of the access-anomaly rules (docs/anomaly-alerts.md), as `alerts.anomaly` in
 * polyvault.yaml gives them, and their defaults. Every rule is per principal.
 */

export interface AnomalyOptions {
  /** Hours after the baseline is created during which only the denials rule alerts (default 168: a week). */
  readonly learningHours?: number | undefined;
  /** Alert on the first access of a principal to a tenant outside its baseline. */
  readonly newTenant?: { readonly enabled?: boolean | undefined } | undefined;
  /** Requests in a sliding window ≥ max(minRequests, factor × the busiest earlier window of that principal). */
  readonly burst?: { readonly windowSeconds?: number | undefined; readonly factor?: number | undefined; readonly minRequests?: number | undefined } | undefined;
  /** Distinct secret names in a sliding window ≥ max(minNames, factor × the most names of an earlier window). */
  readonly sweep?: { readonly windowSeconds?: number | undefined; readonly factor?: number | undefined; readonly minNames?: number | undefined } | undefined;
  /** `count` denied requests in a row (no allowed one between) within the window; no learning period. */
  readonly denials?: { readonly count?: number | undefined; readonly windowSeconds?: number | undefined } | undefined;
  /** Alert on an access in an hour of the day (UTC) at which, ± 1 hour, the principal was never seen. */
  readonly offHours?: { readonly enabled?: boolean | undefined } | undefined;
}

export interface ResolvedAnomalyOptions {
  readonly learningMs: number;
  readonly newTenant: boolean;
  readonly burst: { readonly windowMs: number; readonly factor: number; readonly minRequests: number };
  readonly sweep: { readonly windowMs: number; readonly factor: number; readonly minNames: number };
  readonly denials: { readonly count: number; readonly windowMs: number };
  readonly offHours: boolean;
}

export const ANOMALY_DEFAULTS = {
  learningHours: 168,
  burst: { windowSeconds: 60, factor: 10, minRequests: 120 },
  sweep: { windowSeconds: 600, factor: 4, minNames: 40 },
  denials: { count: 5, windowSeconds: 600 },
} as const;

export type AnomalyRule = "new-tenant" | "burst" | "sweep" | "denials" | "off-hours";
export const ANOMALY_RULES: readonly AnomalyRule[] = ["new-tenant", "burst", "sweep", "denials", "off-hours"];

export function resolveAnomalyOptions(o: AnomalyOptions = {}): ResolvedAnomalyOptions {
  const d = ANOMALY_DEFAULTS;
  return {
    learningMs: (o.learningHours ?? d.learningHours) * 3_600_000,
    newTenant: o.newTenant?.enabled ?? true,
    burst: {
      windowMs: (o.burst?.windowSeconds ?? d.burst.windowSeconds) * 1000,
      factor: o.burst?.factor ?? d.burst.factor,
      minRequests: o.burst?.minRequests ?? d.burst.minRequests,
    },
    sweep: {
      windowMs: (o.sweep?.windowSeconds ?? d.sweep.windowSeconds) * 1000,
      factor: o.sweep?.factor ?? d.sweep.factor,
      minNames: o.sweep?.minNames ?? d.sweep.minNames,
    },
    denials: { count: o.denials?.count ?? d.denials.count, windowMs: (o.denials?.windowSeconds ?? d.denials.windowSeconds) * 1000 },
    offHours: o.offHours?.enabled ?? true,
  };
}
