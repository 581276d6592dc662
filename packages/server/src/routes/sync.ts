/**
 * /v1/sync/plan and /v1/sync/apply: the sync engine over HTTP, for principals holding `sync` (operator,
 * admin) on the tenant asked for, or on every tenant ("*") when none is given. Plans are value-free,
 * as on the CLI. Both are operations of the runtime (runtime/src/operations/sync.ts), as on the CLI:
 * authorized and audited (sync.plan / sync.apply, "started" then the outcome) under the request id.
 */
import type { RequestScopes, Runtime } from "@polyvault/runtime";
import { syncApply, syncPlan } from "@polyvault/runtime";
import type { Activity } from "../activity.js";
import type { GatewayMetrics } from "../metrics/registry.js";
import { type RouteDef, route } from "../route.js";
import { ApplyBody, ApplyResponse, PlanResponse, SyncBody } from "../schemas.js";

export function syncRoutes(runtime: Runtime, scopes: RequestScopes, metrics: GatewayMetrics, activity: Activity): RouteDef[] {
  return [
    route({
      method: "POST",
      url: "/v1/sync/plan",
      summary: "What a sync would do, per route, target, tenant and secret (never a value)",
      tag: "sync",
      auth: true,
      body: SyncBody,
      bodyOptional: true,
      responses: { 200: { description: "The plan", schema: PlanResponse } },
      errors: [503],
      handler: async ({ body }, req) => {
        const { actions, summary } = await syncPlan(runtime, { route: body.route, tenant: body.tenant, caller: scopes.caller(scopes.scopeOf(req)) });
        return {
          actions: actions.map(({ route, target, tenant, name, action, reason, apply }) => ({ route, target, tenant, name, action, reason, apply })),
          summary,
        };
      },
    }),
    route({
      method: "POST",
      url: "/v1/sync/apply",
      summary: "Carry out the plan (write, repair and, with prune, delete in the targets)",
      tag: "sync",
      auth: true,
      body: ApplyBody,
      bodyOptional: true,
      responses: { 200: { description: "One entry per route run; ok is false when an action failed or conflicts were left", schema: ApplyResponse } },
      errors: [503],
      handler: async ({ body }, req) => {
        const runs = await syncApply(runtime, { route: body.route, tenant: body.tenant, confirm: body.confirm, caller: scopes.caller(scopes.scopeOf(req)) });
        const records = runs.map((r) => activity.record(r, "api"));
        for (const rec of records) metrics.recordRun(rec.route, "api", rec);
        return {
          ok: records.every((r) => r.ok),
          runs: runs.map((r) => ({
            route: r.route,
            runId: r.result?.runId,
            skipped: r.skipped,
            counts: r.result?.counts,
            failures: r.result?.failures ?? [],
          })),
        };
      },
    }),
  ];
}
