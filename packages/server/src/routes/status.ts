/** `/`: the status page (status-page.ts renders it). */
import type { Runtime } from "@polyvault/runtime";
import type { Activity } from "../activity.js";
import type { HealthMonitor } from "../health.js";
import { type RouteDef, route } from "../route.js";
import { recentAudit, renderStatusPage } from "../status-page.js";

export function statusRoutes(runtime: Runtime, health: HealthMonitor, activity: Activity, version: string): RouteDef[] {
  return [
    route({
      method: "GET",
      url: "/",
      summary: "Read-only status page (providers, routes, recent syncs and audit events; no secret names or values)",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "HTML", contentType: "text/html" } },
      handler: async (_input, _req, reply) => {
        const engine = Object.keys(runtime.config.routes ?? {}).length ? await runtime.sync() : undefined;
        const status = engine ? await engine.status() : { routes: [] };
        const specs = engine?.routes ?? [];
        const routes = status.routes.map((r) => {
          const spec = specs.find((s) => s.name === r.name);
          return { ...r, source: spec?.source.name ?? "", targets: spec?.targets.map((t) => `${t.provider.name} (${t.encryption})`) ?? [] };
        });
        const html = renderStatusPage({
          version,
          providers: await health.check(),
          routes,
          runs: activity.runs,
          audit: await recentAudit(runtime.dataDir),
          mirrors: await mirrorLag(runtime),
        });
        reply
          .type("text/html; charset=utf-8")
          .header("cache-control", "no-store")
          .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
          .header("x-content-type-options", "nosniff");
        return html;
      },
    }),
  ];
}

/** Each (tenant, mirror) the configuration names (tenants' mirrors, routes' targets for listed tenants) and when a sync last wrote there. */
async function mirrorLag(runtime: Runtime): Promise<Array<{ tenant: string; mirror: string; lastSyncedAt: Date | undefined }>> {
  const pairs = new Map<string, { tenant: string; mirror: string }>();
  for (const [tenant, t] of Object.entries(runtime.config.tenants ?? {})) for (const m of t.mirrors ?? []) pairs.set(`${tenant}\0${m}`, { tenant, mirror: m });
  for (const r of Object.values(runtime.config.routes ?? {})) {
    if (!Array.isArray(r.tenants)) continue; // "*": every tenant, too many to list here
    for (const tenant of r.tenants)
      for (const target of r.targets) {
        const mirror = typeof target === "string" ? target : target.provider;
        pairs.set(`${tenant}\0${mirror}`, { tenant, mirror });
      }
  }
  if (pairs.size === 0) return [];
  const state = await runtime.state();
  return Promise.all([...pairs.values()].map(async (p) => ({ ...p, lastSyncedAt: await state.lastSynced(p.mirror, p.tenant) })));
}
