/**
 * The events Polyvault sends to the alert webhook. Each is value-free by construction: principal ids,
 * tenant ids, secret names, route and provider names, counts, times, and error codes with their messages
 * (which never contain values). Rotation and sync call `Alerts.notify()` with their kinds.
 */
export interface AlertError {
  readonly code: string;
  readonly message: string;
}

export type AlertEvent =
  /** A principal (or "(unauthenticated)") reached `violationThreshold` denied requests within the lockout window. */
  | {
      readonly kind: "access.violations";
      readonly principal: string;
      readonly tenant?: string | undefined;
      readonly failures: number;
      readonly threshold: number;
    }
  | { readonly kind: "access.lockout"; readonly principal: string; readonly until: string; readonly failures: number }
  | { readonly kind: "rotation.failure"; readonly tenant: string; readonly name: string; readonly error: AlertError }
  | { readonly kind: "secret.expiring"; readonly tenant: string; readonly name: string; readonly expiresAt: string; readonly daysLeft: number }
  | {
      readonly kind: "sync.failure";
      readonly route: string;
      readonly target?: string | undefined;
      readonly tenant?: string | undefined;
      readonly error: AlertError;
    }
  | {
      readonly kind: "sync.conflict";
      readonly route: string;
      readonly target: string;
      readonly tenant: string;
      readonly name: string;
      readonly reason?: string | undefined;
    }
  | { readonly kind: "audit.write-failure"; readonly action: string; readonly tenant?: string | undefined; readonly error: AlertError }
  /** An access-anomaly rule tripped (docs/anomaly-alerts.md): counts and thresholds, never a secret name. */
  | {
      readonly kind: "access.anomaly";
      readonly rule: "new-tenant" | "burst" | "sweep" | "denials" | "off-hours";
      readonly principal: string;
      readonly tenant?: string | undefined;
      readonly observed: number;
      readonly threshold: number;
      readonly baseline: number;
      readonly windowSeconds?: number | undefined;
      readonly newPrefixes?: number | undefined;
      readonly hour?: number | undefined;
    }
  /** The anomaly baseline was missing or refused (edited, damaged) and a new one was started. */
  | { readonly kind: "anomaly.baseline-reset"; readonly reason: string; readonly learningUntil: string }
  /** A scheduled job (docs/scheduled-jobs.md: keys.rotate, backups, …) failed; it is retried on a later tick. */
  | { readonly kind: "job.failure"; readonly job: string; readonly error: AlertError };

export type AlertKind = AlertEvent["kind"];

export const ALERT_KINDS: readonly AlertKind[] = [
  "access.violations",
  "access.lockout",
  "rotation.failure",
  "secret.expiring",
  "sync.failure",
  "sync.conflict",
  "audit.write-failure",
  "access.anomaly",
  "anomaly.baseline-reset",
  "job.failure",
];

/** What notify() reports; it never throws, so an alert never hides the error that caused it. */
export type AlertDelivery =
  | { readonly delivered: true; readonly attempts: number; readonly status: number }
  | { readonly delivered: false; readonly attempts: number; readonly error: string; readonly skipped?: boolean };

/** An error as an alert carries it: code and message only (never a stack, never a cause's data). */
export function alertError(err: unknown): AlertError {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === "string" ? e.code : "INTERNAL", message: typeof e?.message === "string" ? e.message : String(err) };
}
