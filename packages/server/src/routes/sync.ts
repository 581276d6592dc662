/**
 * /v1/sync/plan and /v1/sync/apply: the sync engine over HTTP, for principals holding `sync` (operator,
 * admin) on the tenant asked for, or on every tenant ("*") when none is given. Plans are value-free,
 * as on the CLI; both are audited as sync.plan / sync.apply under the request id.
 */
import { isPolyvaultError, parseTenantId } from "@polyvault/core";
import type { RequestScopes, Runtime } from "@polyvault/runtime";
import { combine } from "@polyvault/sync";
import type { Activity } from "../activity.js";
import type { GatewayMetrics } from "../metrics/registry.js";
import { type RouteDef, route } from "../route.js";
import { ApplyBody, ApplyResponse, PlanResponse, SyncBody } from "../schemas.js";

export function syncRoutes(runtime: Runtime, scopes: RequestScopes, metrics: GatewayMetrics, activity: Activity): RouteDef[] {
  /** Authorizes, runs, and records the outcome in the audit log (an unrecordable outcome fails the request). */
  async function audited<T>(action: string, tenant: string | undefined, body: () => Promise<T>): Promise<T> {
    await scopes.authorize(tenant ?? "*", "sync");
    const scope = scopes.current();
    const base = { actor: scope?.principal ?? scopes.localActor, action, tenant, requestId: scope?.requestId };
    try {
      const r = await body();
      await scopes.security.record({ ...base, outcome: "ok" });
      return r;
    } catch (err) {
      await scopes.security.record({ ...base, outcome: isPolyvaultError(err) ? err.code : "INTERNAL" }).catch(() => undefined);
      throw err;
    }
  }

  /** Only the names the caller's grants let it sync (its `secrets` globs); undefined: every name. */
  const callerNames = () => {
    const principal = scopes.current()?.principal;
    return principal === undefined ? undefined : scopes.security.policy?.names(principal, "sync");
  };

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
      handler: async ({ body }) =>
        audited("sync.plan", body.tenant, async () => {
          const engine = await runtime.sync();
          const { actions, summary } = combine(
            await engine.plan({ route: body.route, tenant: body.tenant === undefined ? undefined : parseTenantId(body.tenant), allowName: callerNames() }),
          );
          return {
            actions: actions.map(({ route, target, tenant, name, action, reason, apply }) => ({ route, target, tenant, name, action, reason, apply })),
            summary,
          };
        }),
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
      handler: async ({ body }) =>
        audited("sync.apply", body.tenant, async () => {
          const engine = await runtime.sync();
          const runs = await engine.apply(
            { route: body.route, tenant: body.tenant === undefined ? undefined : parseTenantId(body.tenant), allowName: callerNames() },
            { confirm: body.confirm },
          );
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
        }),
    }),
  ];
}
