/**
 * The wiring of audit, access control and alerts for one data directory, shared by the runtime (which
 * turns it into the SecretManager's steps, and into the callers of its operations: keys, backup, sync,
 * rotation, … in packages/runtime/src/operations) and `audit verify/export`: authenticate a token,
 * authorize, record, alert.
 */
import { randomUUID } from "node:crypto";
import { UnauthorizedError } from "../errors.js";
import { Alerts, type AlertsOptions } from "../alerts/alerts.js";
import { alertError } from "../alerts/events.js";
import { AnomalyMonitor } from "../anomaly/monitor.js";
import { AnomalyStep } from "../anomaly/step.js";
import { AuditLog } from "../audit/audit-log.js";
import { recordConfigChange } from "../audit/config-change.js";
import { AuditStep } from "../audit/step.js";
import type { AuditOptions, AuditRecordInput } from "../audit/types.js";
import type { OperationStep } from "../manager/steps.js";
import { FailureCounters, Guard } from "./guard.js";
import { LockoutStore } from "./lockout.js";
import { AccessControl } from "./policy.js";
import { AccessStep } from "./step.js";
import { type TokenDigest, principalForToken } from "./tokens.js";
import { type AccessOptions, LOCAL_OPERATOR, type Permission, UNAUTHENTICATED } from "./types.js";

export interface SecurityOptions {
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly access?: AccessOptions | undefined;
  readonly alerts?: AlertsOptions | undefined;
  readonly audit?: AuditOptions | undefined;
  readonly now?: (() => Date) | undefined;
}

const bySteps = new WeakMap<OperationStep, { security: Security; principal: string | undefined }>();

export class Security {
  readonly audit: AuditLog;
  readonly alerts: Alerts;
  readonly policy: AccessControl | undefined;
  readonly lockout: LockoutStore | undefined;
  readonly counters = new FailureCounters();
  /** Access-anomaly alerts, when `alerts.anomaly` is configured (docs/anomaly-alerts.md). */
  readonly anomaly: AnomalyMonitor | undefined;

  constructor(options: SecurityOptions) {
    this.alerts = Alerts.fromConfig(options.alerts, options.env ?? process.env);
    this.audit = new AuditLog(options.dataDir, {
      ...options.audit,
      ...(options.now ? { now: options.now } : {}),
      // A witness that refuses or misses a checkpoint weakens rollback detection: say so (docs/audit.md, "Witnesses").
      onSideError: (err) => void this.#auditFailed(err, { actor: "polyvault", action: "audit.witness", outcome: "UNAVAILABLE" }).catch(() => undefined),
    });
    this.policy = options.access ? new AccessControl(options.access) : undefined;
    this.lockout = options.access ? new LockoutStore(options.dataDir, options.access.lockout, options.now) : undefined;
    const anomaly = options.alerts?.anomaly;
    this.anomaly = anomaly
      ? new AnomalyMonitor({ dataDir: options.dataDir, options: anomaly, alerts: this.alerts, record: (r) => this.record(r), now: options.now })
      : undefined;
  }

  /** The Security behind steps built by steps() (for commands that need to authorize outside SecretManager). */
  static of(steps: readonly OperationStep[] | undefined): Security | undefined {
    return Security.#lookup(steps)?.security;
  }

  /** The Security and the principal (undefined: access control off) that steps() was called with. */
  static bound(steps: readonly OperationStep[] | undefined): { security: Security; principal: string | undefined } | undefined {
    return Security.#lookup(steps);
  }

  /**
   * Authorizes a command that is not a SecretManager operation (keys, sync, backup, …) for the principal
   * the steps were built for; a no-op when the steps carry no access control. Throws AccessDeniedError.
   */
  static async authorizeSteps(steps: readonly OperationStep[] | undefined, tenant: string, permission: Permission, name?: string): Promise<void> {
    const found = Security.#lookup(steps);
    if (found?.principal !== undefined) await found.security.authorize(found.principal, tenant, permission, name);
  }

  static #lookup(steps: readonly OperationStep[] | undefined): { security: Security; principal: string | undefined } | undefined {
    for (const s of steps ?? []) {
      const found = bySteps.get(s);
      if (found) return found;
    }
    return undefined;
  }

  /** Whether access control is on (an `access` section is configured). */
  get enforcing(): boolean {
    return this.policy !== undefined;
  }

  /**
   * The principal a token belongs to. With access control off, the local operator (admin). No token or an
   * unknown one: counted, audited, alerted at the threshold, then UnauthorizedError (exit 4).
   */
  async authenticate(token: string | undefined, localActor = LOCAL_OPERATOR, known?: TokenDigest): Promise<string> {
    if (!this.policy || !this.lockout) return localActor;
    const principal = token ? principalForToken(token, this.policy.options.principals, known) : undefined;
    if (principal !== undefined) return principal;
    const reason = token ? "unknown token" : "no token";
    this.counters.inc("*");
    const failure = await this.lockout.recordFailure(UNAUTHENTICATED, { lock: false }).catch(() => undefined);
    await this.record({ actor: UNAUTHENTICATED, action: "authenticate", outcome: "UNAUTHORIZED", reason, requestId: randomUUID() }).catch(() => undefined);
    if (failure?.failures === this.alerts.violationThreshold) {
      await this.alerts.notify({
        kind: "access.violations",
        principal: UNAUTHENTICATED,
        failures: failure.failures,
        threshold: this.alerts.violationThreshold,
      });
    }
    throw new UnauthorizedError(
      token ? "POLYVAULT_TOKEN does not match any principal in the access configuration" : "access control is on: set POLYVAULT_TOKEN to your token",
    );
  }

  /** Allows or throws AccessDeniedError (audited, counted); a no-op with access control off. `tenant` "*": no tenant. */
  async authorize(principal: string, tenant: string, permission: Permission, name?: string): Promise<void> {
    const guard = this.guard(principal);
    if (guard) await guard.check(tenant, permission, name);
  }

  /** May `principal` do `permission` in `tenant`? No side effects (used to filter, e.g. an audit export). */
  allows(principal: string, tenant: string, permission: Permission): boolean {
    if (!this.policy) return true;
    if (this.lockout?.lockedUntil(principal)) return false;
    return this.policy.authorize(principal, tenant, permission).allowed;
  }

  /** Where `principal` holds `permission` (everywhere with access control off). */
  scope(principal: string, permission: Permission): { all: boolean; tenants: Set<string> } {
    return this.policy ? this.policy.scope(principal, permission) : { all: true, tenants: new Set() };
  }

  guard(principal: string): Guard | undefined {
    if (!this.policy || !this.lockout) return undefined;
    const anomaly = this.anomaly;
    return new Guard(principal, {
      policy: this.policy,
      lockout: this.lockout,
      alerts: this.alerts,
      counters: this.counters,
      record: (r) => this.record(r),
      observe: anomaly ? (o) => void anomaly.observe(o) : undefined,
    });
  }

  /**
   * The SecretManager's steps, in order: access (when on; its guard tells the anomaly monitor of each
   * decision), else the anomaly step (when configured) under `actor`; then audit.
   */
  steps(principal: string | undefined, actor: string = LOCAL_OPERATOR): OperationStep[] {
    const guard = principal === undefined ? undefined : this.guard(principal);
    const steps: OperationStep[] = [];
    if (guard) steps.push(new AccessStep(guard));
    else if (this.anomaly) steps.push(new AnomalyStep(this.anomaly, actor));
    steps.push(new AuditStep(this.audit, { actor: guard ? principal : undefined, onWriteFailure: (err, r) => this.#auditFailed(err, r) }));
    for (const s of steps) bySteps.set(s, { security: this, principal: guard ? principal : undefined });
    return steps;
  }

  /** Appends a record; when it cannot be written, alerts and rejects (the caller refuses the operation). */
  async record(r: AuditRecordInput): Promise<void> {
    try {
      await this.audit.append(r);
    } catch (err) {
      await this.#auditFailed(err, r);
      throw err;
    }
  }

  /** Appends `config.change` when the configuration differs from the one last recorded. */
  recordConfig(config: object, actor: string): Promise<boolean> {
    return recordConfigChange(this.audit, config, actor).catch(async (err: unknown) => {
      await this.#auditFailed(err, { actor, action: "config.change", outcome: "ok" });
      throw err;
    });
  }

  failedAccessAttempts(tenant: string): number {
    return this.counters.get(tenant);
  }

  async close(): Promise<void> {
    await this.anomaly?.close();
    await this.audit.close();
  }

  async #auditFailed(err: unknown, r: AuditRecordInput): Promise<void> {
    await this.alerts.notify({ kind: "audit.write-failure", action: r.action, tenant: r.tenant, error: alertError(err) });
  }
}
