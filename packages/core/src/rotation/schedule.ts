/**
 * Which secrets are due: computed from heads only (no value is read). A secret's last rotation is the
 * time its current version was written, or, for a version put back by `backup restore`, the original
 * time kept in its `pv-created` metadata (a restore must not make every secret look freshly rotated).
 *
 *   ok       the deadline (last rotation + interval) is more than dueSoonDays away
 *   due      the deadline is within dueSoonDays
 *   overdue  the deadline has passed (or the last rotation time is unknown: fail closed)
 *   pending  a rotation was staged and waits for `rotation confirm` or `rotation rollback`
 */
import { revisionOf } from "../manager/metadata.js";
import type { TenantId } from "../names.js";
import { type Provider, type SecretHead, listAll } from "../provider.js";
import type { PendingRotation } from "./pending.js";
import type { RotationPolicies } from "./policy.js";

/** Metadata key holding a restored version's original creation time (ISO 8601). */
export const ORIGINAL_TIME_KEY = "pv-created";
export const DAY_MS = 86_400_000;

export type RotationStatus = "ok" | "due" | "overdue" | "pending";

export interface RotationDue {
  readonly tenant: string;
  readonly name: string;
  readonly revision: number | undefined;
  readonly lastRotatedAt: Date | undefined;
  readonly intervalDays: number;
  readonly nextDueAt: Date | undefined;
  readonly status: RotationStatus;
  /** Which policy applies: "default" or "policies[i]". */
  readonly policy: string;
  readonly pendingRevision?: number | undefined;
}

/**
 * `pv-created` is unauthenticated metadata: it may only make a secret look older than the provider's own
 * write time (what a restore needs), never fresher, so editing it cannot make a rotation look done.
 */
export function lastRotationTime(head: SecretHead): Date | undefined {
  const original = head.metadata[ORIGINAL_TIME_KEY];
  if (original !== undefined) {
    const t = new Date(original);
    if (!Number.isNaN(t.getTime()) && (head.updatedAt === undefined || t.getTime() <= head.updatedAt.getTime())) return t;
  }
  return head.updatedAt;
}

export function assessRotation(tenant: string, head: SecretHead, policies: RotationPolicies, now: Date, pending?: PendingRotation): RotationDue {
  const policy = policies.resolve(tenant, head.name);
  const last = lastRotationTime(head);
  const nextDueAt = last === undefined ? undefined : new Date(last.getTime() + policy.intervalDays * DAY_MS);
  let status: RotationStatus;
  if (pending) status = "pending";
  else if (nextDueAt === undefined || now.getTime() >= nextDueAt.getTime()) status = "overdue";
  else if (now.getTime() >= nextDueAt.getTime() - policies.dueSoonDays * DAY_MS) status = "due";
  else status = "ok";
  return {
    tenant,
    name: head.name,
    revision: revisionOf(head.metadata),
    lastRotatedAt: last,
    intervalDays: policy.intervalDays,
    nextDueAt,
    status,
    policy: policy.source,
    ...(pending ? { pendingRevision: pending.stagedRevision } : {}),
  };
}

/** Every managed secret of the tenant in `provider`, assessed (sorted by name, as listed). */
export async function rotationSchedule(options: {
  tenant: TenantId;
  provider: Provider;
  policies: RotationPolicies;
  now?: Date | undefined;
  pending?: readonly PendingRotation[] | undefined;
}): Promise<RotationDue[]> {
  const now = options.now ?? new Date();
  const out: RotationDue[] = [];
  for await (const head of listAll(options.provider, options.tenant)) {
    if (!head.managed) continue;
    const p = options.pending?.find((e) => e.tenant === options.tenant && e.name === head.name);
    out.push(assessRotation(options.tenant, head, options.policies, now, p));
  }
  return out;
}
