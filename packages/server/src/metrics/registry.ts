/**
 * The gateway's Prometheus metrics (docs/gateway.md lists each one). Counters that core keeps (the
 * seed's security counters per tenant, the runtime's provider call counts, breaker states, sync state)
 * are read at scrape time (`collect`); the rest are counted as things happen. Label sets are bounded:
 * provider, operation, outcome, route, action, status code, anomaly rule, tenant (bounded by TenantLabels)
 * and principal (bounded in anomaly.ts);
 * never a secret name, never a value.
 */
import type { RequestScopes, Runtime } from "@polyvault/runtime";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Activity } from "../activity.js";
import type { HealthMonitor } from "../health.js";
import { anomalyCounter } from "./anomaly.js";
import { TenantLabels } from "./labels.js";
import type { DurationHistogram } from "./timing.js";

const SEED = [
  ["secretAccessCount", "polyvault_secret_access_total", "Secret reads (the seed's secret_access_count)"],
  ["encryptionOperations", "polyvault_encryption_operations_total", "Values encrypted"],
  ["decryptionOperations", "polyvault_decryption_operations_total", "Values decrypted"],
  ["rotationEvents", "polyvault_rotation_events_total", "Secrets rotated"],
] as const;

export interface MetricsDeps {
  readonly runtime: Runtime;
  readonly scopes: RequestScopes;
  readonly health: HealthMonitor;
  readonly activity: Activity;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly tenants: TenantLabels;
  readonly providerDuration: DurationHistogram;
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  readonly syncActions: Counter<"route" | "action">;
  readonly syncRuns: Counter<"route" | "source" | "outcome">;
  readonly failoverReads: Counter<"provider">;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    const { runtime, scopes, health, activity } = deps;
    this.tenants = new TenantLabels(Object.keys(runtime.config.tenants ?? {}));
    const tenants = this.tenants;
    collectDefaultMetrics({ register: this.registry, prefix: "polyvault_" });

    for (const [field, name, help] of SEED) {
      new Counter({
        name,
        help: `${help}, per tenant`,
        labelNames: ["tenant"],
        registers,
        collect() {
          this.reset();
          for (const [t, m] of scopes.managers()) this.inc({ tenant: tenants.of(t) }, m.metrics[field]);
        },
      });
    }
    new Counter({
      name: "polyvault_failed_access_attempts_total",
      help: "Refused requests (no or unknown token, denied, locked out), per tenant ('*': outside any tenant)",
      labelNames: ["tenant"],
      registers,
      collect() {
        this.reset();
        for (const [t, n] of Object.entries(scopes.security.counters.snapshot())) this.inc({ tenant: t === "*" ? "*" : tenants.of(t) }, n);
      },
    });
    anomalyCounter(registers, runtime, scopes);
    this.failoverReads = new Counter({
      name: "polyvault_failover_reads_total",
      help: "Reads answered by a mirror because the primary was unavailable, by the mirror that answered",
      labelNames: ["provider"],
      registers,
    });
    this.providerDuration = new Histogram({
      name: "polyvault_provider_request_duration_seconds",
      help: "Provider calls made for gateway requests, by provider, operation and outcome (ok or error code)",
      labelNames: ["provider", "operation", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Counter({
      name: "polyvault_provider_calls_total",
      help: "Every provider call of this process (gateway requests and sync), by provider and operation",
      labelNames: ["provider", "operation"],
      registers,
      collect() {
        this.reset();
        for (const [p, counts] of Object.entries(runtime.calls()))
          for (const [op, n] of Object.entries(counts)) if (op !== "valueReads") this.inc({ provider: p, operation: op }, n);
      },
    });
    new Gauge({
      name: "polyvault_provider_breaker_state",
      help: "Circuit breaker of each provider: 1 for its current state (closed, open, half-open), 0 for the others",
      labelNames: ["provider", "state"],
      registers,
      collect() {
        for (const name of runtime.providers.keys()) {
          const s = runtime.gate(name).breakerState;
          for (const state of ["closed", "open", "half-open"]) this.set({ provider: name, state }, s === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: "polyvault_provider_up",
      help: "1 when the provider's last health probe succeeded (probed at scrape time, cached briefly)",
      labelNames: ["provider"],
      registers,
      async collect() {
        for (const [name, h] of Object.entries(await health.check())) this.set({ provider: name }, h.up ? 1 : 0);
      },
    });
    this.syncActions = new Counter({
      name: "polyvault_sync_actions_total",
      help: "Sync actions carried out, by route and action (created, updated, repaired, deleted, failed, …)",
      labelNames: ["route", "action"],
      registers,
    });
    this.syncRuns = new Counter({
      name: "polyvault_sync_runs_total",
      help: "Sync runs by route, what started them (schedule, push, api) and outcome (ok, failed, skipped, error)",
      labelNames: ["route", "source", "outcome"],
      registers,
    });
    new Gauge({
      name: "polyvault_sync_last_run_timestamp_seconds",
      help: "When each route's last run finished (any process), and whether it succeeded",
      labelNames: ["route", "ok"],
      registers,
      async collect() {
        this.reset();
        if (!Object.keys(runtime.config.routes ?? {}).length) return;
        for (const r of (await (await runtime.sync()).status()).routes)
          if (r.lastRun) this.set({ route: r.name, ok: r.lastRun.ok ? "true" : "false" }, r.lastRun.finishedAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: "polyvault_secrets_rotation",
      help: "Managed secrets by rotation status (ok, due, overdue, pending), per tenant; refreshed every few minutes",
      labelNames: ["tenant", "status"],
      registers,
      collect() {
        this.reset();
        for (const [t, counts] of activity.rotation) for (const [status, n] of Object.entries(counts)) this.inc({ tenant: tenants.of(t), status }, n);
      },
    });
    this.httpDuration = new Histogram({
      name: "polyvault_http_request_duration_seconds",
      help: "HTTP requests by method, route pattern (never the path: it holds secret names) and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  /** Counts a sync run's actions and outcome. */
  recordRun(
    route: string,
    source: string,
    run: { skipped?: string | undefined; error?: unknown; counts?: Readonly<Record<string, number>> | undefined; ok: boolean },
  ): void {
    const outcome = run.error !== undefined ? "error" : run.skipped ? "skipped" : run.ok ? "ok" : "failed";
    this.syncRuns.inc({ route, source, outcome });
    for (const [action, n] of Object.entries(run.counts ?? {})) if (n > 0) this.syncActions.inc({ route, action }, n);
  }
}
