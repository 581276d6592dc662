/**
 * What the gateway has seen, for /metrics and the status page: the latest sync runs (scheduled, pushed
 * on write, or asked for over the API) and, refreshed in the background, how many secrets of each
 * tenant are due or overdue for rotation (computed from heads: no value is read).
 */
import { PendingRotations, RotationPolicies, type RotationStatus, parseTenantId, rotationSchedule } from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import type { RouteRun } from "@polyvault/sync";

export type RunSource = "schedule" | "push" | "api";

export interface RunRecord {
  readonly route: string;
  readonly source: RunSource;
  readonly at: string;
  readonly ok: boolean;
  readonly skipped?: string | undefined;
  readonly error?: string | undefined;
  readonly counts?: Readonly<Record<string, number>> | undefined;
}

const KEEP = 50;

export class Activity {
  readonly runs: RunRecord[] = [];
  /** tenant → status → number of managed secrets. */
  rotation: Map<string, Record<RotationStatus, number>> = new Map();
  rotationCheckedAt: Date | undefined;
  rotationError: string | undefined;

  /** Told about each run this process records (a cluster worker relays it to the others: cluster/worker.ts). */
  onRecord: ((rec: RunRecord) => void) | undefined;

  constructor(readonly runtime: Runtime) {}

  /** A run recorded by another worker of the same gateway (shown on the status page; not counted again). */
  adopt(rec: RunRecord): void {
    this.runs.unshift(rec);
    this.runs.length = Math.min(this.runs.length, KEEP);
  }

  record(run: RouteRun | { route: string; error: unknown }, source: RunSource): RunRecord {
    const rec: RunRecord =
      "error" in run
        ? { route: run.route, source, at: new Date().toISOString(), ok: false, error: (run.error as Error)?.message ?? String(run.error) }
        : {
            route: run.route,
            source,
            at: new Date().toISOString(),
            ok: !run.result || (run.result.counts.failed === 0 && run.result.counts.conflictsLeft === 0),
            ...(run.skipped ? { skipped: run.skipped } : {}),
            ...(run.result ? { counts: { ...run.result.counts } } : {}),
          };
    this.adopt(rec);
    this.onRecord?.(rec);
    return rec;
  }

  /**
   * Recounts secrets by rotation status, per tenant, from each tenant's primary. A provider that is down
   * does not stop the others: its tenants keep their previous counts and the error is kept for the page.
   */
  async refreshRotation(now = new Date()): Promise<void> {
    const rt = this.runtime;
    const policies = new RotationPolicies(rt.config.rotation);
    const pending = await new PendingRotations(rt.dataDir).list();
    const out = new Map(this.rotation);
    const errors: string[] = [];
    const tenants = new Set<string>(Object.keys(rt.config.tenants ?? {}));
    for (const p of rt.providers.values()) {
      if (!p.listTenants) continue;
      try {
        for (const t of await p.listTenants()) tenants.add(t);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    for (const t of [...tenants].sort()) {
      const tenant = parseTenantId(t);
      try {
        const counts: Record<RotationStatus, number> = { ok: 0, due: 0, overdue: 0, pending: 0 };
        for (const s of await rotationSchedule({ tenant, provider: rt.placement(tenant).primary, policies, now, pending })) counts[s.status]++;
        out.set(tenant, counts);
      } catch (err) {
        errors.push(`${tenant}: ${(err as Error).message}`);
      }
    }
    this.rotation = out;
    this.rotationCheckedAt = now;
    this.rotationError = errors.length ? errors.join("; ").slice(0, 500) : undefined;
  }
}
