/**
 * Push-on-write for a long-running process (the gateway). A CLI process pushes its one change and
 * exits; a gateway takes many concurrent writes, and one push per write would make them race for the
 * route lease, each loser skipped (its change left for the next scheduled run, or for ever on a route
 * without a schedule). Here changes are queued per source provider and tenant, one worker per source
 * runs them (every queued name of a tenant in one run), and a run skipped because another process holds
 * the route lease is retried after a pause, a few times, before it is reported as failed.
 */
import type { TenantId } from "@polyvault/core";
import { type RouteRun, type SyncEngine, pushWarnings } from "@polyvault/sync";

export interface PushQueueOptions {
  /** Told about every run (counted by the gateway's metrics). */
  readonly onRuns?: ((runs: readonly RouteRun[]) => void) | undefined;
  /** Told when a change could not be pushed (the write itself succeeded; the schedule will catch up). */
  readonly onError?: ((tenant: string, name: string, error: unknown) => void) | undefined;
  readonly retryDelayMs?: number | undefined;
  readonly maxAttempts?: number | undefined;
}

export class PushQueue {
  /** source provider → tenant → names waiting. */
  readonly #pending = new Map<string, Map<TenantId, Set<string>>>();
  readonly #workers = new Map<string, Promise<void>>();

  constructor(
    readonly engine: () => Promise<SyncEngine>,
    readonly options: PushQueueOptions = {},
  ) {}

  add(provider: string, tenant: TenantId, name: string): void {
    const byTenant = this.#pending.get(provider) ?? new Map<TenantId, Set<string>>();
    this.#pending.set(provider, byTenant);
    const names = byTenant.get(tenant) ?? new Set<string>();
    byTenant.set(tenant, names);
    names.add(name);
    if (!this.#workers.has(provider)) {
      const w = this.#work(provider).finally(() => this.#workers.delete(provider));
      this.#workers.set(provider, w);
    }
  }

  /** Resolves when every queued change has been pushed (or given up on). */
  async flush(): Promise<void> {
    while (this.#workers.size) await Promise.all([...this.#workers.values()]);
  }

  async #work(provider: string): Promise<void> {
    const byTenant = this.#pending.get(provider);
    while (byTenant?.size) {
      const [tenant, set] = byTenant.entries().next().value as [TenantId, Set<string>];
      byTenant.delete(tenant);
      await this.#push(provider, tenant, [...set]);
    }
    this.#pending.delete(provider);
  }

  async #push(provider: string, tenant: TenantId, names: string[]): Promise<void> {
    const attempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      let runs: RouteRun[];
      try {
        const engine = await this.engine();
        runs = [];
        for (const spec of engine.routes) {
          if (spec.source.name !== provider || !spec.tenants.includes(tenant)) continue;
          runs.push(...(await engine.apply({ route: spec.name, tenant, names })));
        }
      } catch (error) {
        for (const n of names) this.options.onError?.(tenant, n, error);
        return;
      }
      this.options.onRuns?.(runs);
      // What the runs refused or could not do (a guard, a name the target cannot hold): said as it is.
      const engine = await this.engine();
      for (const w of pushWarnings(
        runs.filter((r) => !r.skipped),
        engine.routes,
      ))
        for (const n of w.name === "*" ? names : [w.name]) this.options.onError?.(tenant, n, new Error(w.message));
      if (!runs.some((r) => r.skipped)) return;
      if (attempt >= attempts) {
        const skipped = runs.find((r) => r.skipped);
        const error = new Error(
          `it was not pushed: ${skipped?.skipped ?? "the route lease is held by another process"} through ${attempts} attempts; the route's next run will push it`,
        );
        for (const n of names) this.options.onError?.(tenant, n, error);
        return;
      }
      await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? 500) * attempt));
    }
  }
}
