/**
 * One principal's gate: refuses everything while the principal is locked out, else asks the policy.
 * Every refusal is counted (per tenant, for the security metrics), counted as a failure of the principal
 * (lockout), audited, and alerted when it reaches the violation threshold or locks the principal.
 */
import { randomUUID } from "node:crypto";
import { AccessDeniedError } from "../errors.js";
import type { Alerts } from "../alerts/alerts.js";
import type { AccessObservation } from "../anomaly/detector.js";
import type { AuditRecordInput } from "../audit/types.js";
import type { FailureResult, LockoutStore } from "./lockout.js";
import type { AccessControl, Decision } from "./policy.js";
import type { Permission } from "./types.js";

/** Failed access attempts per tenant ("*": outside any tenant), for getSecurityMetrics() and /metrics. */
export class FailureCounters {
  readonly #byTenant = new Map<string, number>();
  inc(tenant: string): void {
    this.#byTenant.set(tenant, (this.#byTenant.get(tenant) ?? 0) + 1);
  }
  get(tenant: string): number {
    return this.#byTenant.get(tenant) ?? 0;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#byTenant);
  }
}

export interface GuardDeps {
  readonly policy: AccessControl;
  readonly lockout: LockoutStore;
  readonly alerts: Alerts;
  readonly counters: FailureCounters;
  /** Appends a record, alerting when it cannot be written; rejects like AuditLog.append. */
  readonly record: (r: AuditRecordInput) => Promise<void>;
  /** Told of every decision, allowed or denied (the access-anomaly monitor). Must not throw. */
  readonly observe?: ((o: AccessObservation) => void) | undefined;
}

export type Allowed = Extract<Decision, { allowed: true }>;

export class Guard {
  constructor(
    readonly principal: string,
    readonly deps: GuardDeps,
  ) {}

  /** `action` names the operation in the denial's audit record (default: the permission itself). */
  async check(tenant: string, permission: Permission, name?: string, requestId: string = randomUUID(), action: string = permission): Promise<Allowed> {
    const base = { actor: this.principal, tenant: tenant === "*" ? undefined : tenant, action, name, requestId };
    const seen = { principal: this.principal, tenant: tenant === "*" ? undefined : tenant, name };
    const until = this.deps.lockout.lockedUntil(this.principal);
    if (until) {
      this.deps.observe?.({ ...seen, denied: true });
      this.deps.counters.inc(tenant);
      await this.deps.record({ ...base, outcome: "denied", reason: "locked out" }).catch(() => undefined);
      throw new AccessDeniedError(`principal ${this.principal} is locked out until ${until.toISOString()} after repeated denied requests`);
    }
    const decision = this.deps.policy.authorize(this.principal, tenant, permission, name);
    this.deps.observe?.({ ...seen, denied: !decision.allowed });
    if (decision.allowed) return decision;
    this.deps.counters.inc(tenant);
    const failure = await this.deps.lockout.recordFailure(this.principal).catch((): FailureResult | undefined => undefined);
    await this.deps.record({ ...base, outcome: "denied", reason: decision.reason }).catch(() => undefined);
    let message = decision.reason;
    if (failure) {
      await this.#afterFailure(failure, tenant);
      if (failure.justLocked && failure.lockedUntil)
        message += `; after ${failure.failures} denied requests principal ${this.principal} is locked out until ${failure.lockedUntil.toISOString()}`;
    }
    throw new AccessDeniedError(message);
  }

  async #afterFailure(failure: FailureResult, tenant: string): Promise<void> {
    const { alerts } = this.deps;
    if (failure.failures === alerts.violationThreshold) {
      await alerts.notify({
        kind: "access.violations",
        principal: this.principal,
        tenant: tenant === "*" ? undefined : tenant,
        failures: failure.failures,
        threshold: alerts.violationThreshold,
      });
    }
    if (failure.justLocked && failure.lockedUntil) {
      const until = failure.lockedUntil.toISOString();
      await this.deps.record({ actor: this.principal, action: "lockout", outcome: "ok", reason: `locked until ${until}` }).catch(() => undefined);
      await alerts.notify({ kind: "access.lockout", principal: this.principal, until, failures: failure.failures });
    }
  }
}
