/** A sync plan: value-free actions per (route, target, tenant, secret), as printed by `sync plan --json`. */
import type { Provider, TenantId } from "@polyvault/core";

export type ActionKind = "create" | "update" | "delete" | "noop" | "drift" | "conflict";
export type ConflictPolicy = "source-wins" | "target-wins" | "fail";
export type EncryptionMode = "envelope" | "native";

export interface RouteTarget {
  readonly provider: Provider;
  readonly encryption: EncryptionMode;
}

/** A route resolved against live providers (the runtime builds these from polyvault.yaml). */
export interface RouteSpec {
  readonly name: string;
  readonly source: Provider;
  readonly targets: readonly RouteTarget[];
  readonly tenants: readonly TenantId[];
  readonly schedule?: string | undefined;
  readonly prune: boolean;
  readonly conflict: ConflictPolicy;
  /** Largest fraction of a target's managed secrets one apply may delete without --confirm (default 0.1). */
  readonly maxDeleteFraction: number;
  /** The rest of the guard: floors and the window over which deletions and updates are counted. */
  readonly guard?: Partial<GuardLimits> | undefined;
}

/**
 * How much a route may delete and overwrite in one target and tenant without `--confirm`: within any
 * `windowMs`, at most max(floor, fraction × live verified secrets) distinct secrets deleted, and the
 * same for secrets overwritten.
 */
export interface GuardLimits {
  readonly deleteFloor: number;
  readonly updateFraction: number;
  readonly updateFloor: number;
  readonly windowMs: number;
}

export const GUARD_DEFAULTS: GuardLimits = { deleteFloor: 1, updateFraction: 1, updateFloor: 20, windowMs: 3_600_000 };

export interface PlanAction {
  readonly route: string;
  readonly target: string;
  readonly tenant: string;
  readonly name: string;
  readonly action: ActionKind;
  readonly reason: string;
  /** What apply will do about it under the route's policies: write, delete, or nothing. */
  readonly apply: "write" | "delete" | "verify" | "none";
  readonly sourceRevision?: number | undefined;
  readonly sourceDigest?: string | undefined;
  /**
   * The source revision the record says was last copied, 0 without a record: what the target's copy is
   * checked against when apply reads back a conflict, or a secret deleted in the source.
   */
  readonly recordRevision?: number | undefined;
  /** The target version the write expects to replace (check-and-set); null = must not exist. */
  readonly expectTargetVersion?: string | null | undefined;
  readonly encryption: EncryptionMode;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  noop: number;
  drift: number;
  conflict: number;
  /** Actions apply would carry out (writes + deletes). */
  changes: number;
  /** Targets apply reads back before recording (a version no authenticated record vouches for). */
  verify: number;
}

export interface Plan {
  readonly actions: PlanAction[];
  readonly summary: PlanSummary;
  /** State-only fixes (a noop whose record is missing or stale): applied without provider calls. */
  readonly stateRefresh: PlanAction[];
  /**
   * Per "target\u0000tenant": secrets in the target whose version an authenticated record of this route
   * vouches for (what the mass-delete guard counts; a planted secret or a forged record adds nothing).
   */
  readonly live: Readonly<Record<string, number>>;
}

export function summarize(actions: readonly PlanAction[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, noop: 0, drift: 0, conflict: 0, changes: 0, verify: 0 };
  for (const a of actions) {
    s[a.action]++;
    if (a.apply === "write" || a.apply === "delete") s.changes++;
    if (a.apply === "verify") s.verify++;
  }
  return s;
}
