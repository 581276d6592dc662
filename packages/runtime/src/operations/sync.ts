/**
 * The sync engine as operations (permission `sync` on the tenant asked for, or on "*" when none is):
 * plan and status read heads; apply, a run of due routes and the scheduler (watch) write to targets.
 * Each is audited as sync.<verb>; an apply's outcome record carries its counts.
 */
import type { TenantId } from "@polyvault/core";
import { type RouteRun, type SyncEngine, combine } from "@polyvault/sync";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import type { Caller } from "./operation.js";
import { type OperationOptions, type OutcomeSummary, detailOf, runOperation } from "./operation.js";

export interface SyncFilter extends OperationOptions {
  readonly route?: string | undefined;
  readonly tenant?: string | undefined;
}

const tenantOf = (rt: Runtime, raw: string | undefined): TenantId | undefined => (raw === undefined ? undefined : rt.manager(raw).tenant);

/** Only the names the caller's grants let it sync (its `secrets` globs); undefined: every name. */
const namesFor = (caller: Caller): ((tenant: string, name: string) => boolean) | undefined =>
  caller.principal === undefined ? undefined : caller.security.policy?.names(caller.principal, "sync");

export type CombinedPlan = ReturnType<typeof combine>;

export function syncPlan(rt: Runtime, options: SyncFilter = {}): Promise<CombinedPlan> {
  const tenant = tenantOf(rt, options.tenant);
  const caller = options.caller ?? callerOf(rt);
  return runOperation(
    caller,
    { action: "sync.plan", permission: "sync", tenant, changes: false },
    async () => combine(await (await rt.sync()).plan({ route: options.route, tenant, allowName: namesFor(caller) })),
    (p) => ({ detail: detailOf({ route: options.route, ...p.summary }) }),
  );
}

/** Sums of the counts of a set of runs, for the outcome record. */
export function runsSummary(runs: readonly RouteRun[], route?: string): OutcomeSummary {
  const sum = (k: "created" | "updated" | "repaired" | "deleted" | "failed" | "conflictsLeft" | "driftLeft") =>
    runs.reduce((a, r) => a + (r.result?.counts[k] ?? 0), 0);
  return {
    detail: detailOf({
      route,
      routes: runs.length,
      skipped: runs.filter((r) => r.skipped).length,
      created: sum("created"),
      updated: sum("updated"),
      repaired: sum("repaired"),
      deleted: sum("deleted"),
      failed: sum("failed"),
      leftForReview: sum("conflictsLeft") + sum("driftLeft"),
    }),
  };
}

export interface ApplyOptions extends SyncFilter {
  /** Allow deleting more than the route's maxDeleteFraction of a target in one apply. */
  readonly confirm?: boolean | undefined;
}

export function syncApply(rt: Runtime, options: ApplyOptions = {}): Promise<RouteRun[]> {
  const tenant = tenantOf(rt, options.tenant);
  const caller = options.caller ?? callerOf(rt);
  return runOperation(
    caller,
    { action: "sync.apply", permission: "sync", tenant, changes: true },
    async () => {
      const engine = await rt.sync();
      const bars = new Map<string, { update(d: number, t: number): void; stop(): void }>();
      try {
        return await engine.apply(
          { route: options.route, tenant, allowName: namesFor(caller) },
          {
            confirm: options.confirm,
            onProgress: (route, done, total) => {
              let bar = bars.get(route);
              if (!bar && options.progress) {
                bar = options.progress(`sync ${route}`);
                bars.set(route, bar);
              }
              bar?.update(done, total);
            },
          },
        );
      } finally {
        for (const b of bars.values()) b.stop();
      }
    },
    (runs) => runsSummary(runs, options.route),
  );
}

/** Runs the routes that are due on their schedule, once. */
export function syncRunDue(rt: Runtime, options: OperationOptions = {}): Promise<RouteRun[]> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "sync.run", permission: "sync", changes: true },
    async () => (await rt.sync()).runDue(),
    (runs) => runsSummary(runs),
  );
}

export interface WatchOptions extends OperationOptions {
  /** Told about every run (or a route's error). */
  readonly onRun: Parameters<SyncEngine["watch"]>[0];
  /** Told once the scheduler is running, with the number of scheduled routes. */
  readonly onStart?: ((scheduledRoutes: number) => void) | undefined;
  /** Resolves when the scheduler should stop (the CLI: SIGINT or SIGTERM). */
  readonly until: Promise<void>;
}

/** Keeps running the routes as the scheduler until `until` resolves; audited once, as sync.watch. */
export function syncWatch(rt: Runtime, options: WatchOptions): Promise<{ scheduledRoutes: number }> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "sync.watch", permission: "sync", changes: true },
    async () => {
      const engine = await rt.sync();
      const scheduledRoutes = engine.routes.filter((r) => r.schedule).length;
      options.onStart?.(scheduledRoutes);
      const stop = engine.watch(options.onRun);
      await options.until;
      await stop();
      return { scheduledRoutes };
    },
    (r) => ({ detail: detailOf({ scheduledRoutes: r.scheduledRoutes }) }),
  );
}

export type SyncStatus = Awaited<ReturnType<SyncEngine["status"]>> & { breakers: Record<string, ReturnType<Runtime["gate"]>["breakerState"]> };

export function syncStatus(rt: Runtime, options: OperationOptions = {}): Promise<SyncStatus> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "sync.status", permission: "sync", changes: false },
    async () => {
      const status = await (await rt.sync()).status();
      const breakers = Object.fromEntries([...rt.providers.keys()].map((n) => [n, rt.gate(n).breakerState]));
      return { ...status, breakers };
    },
    (s) => ({ detail: detailOf({ routes: s.routes.length }) }),
  );
}
