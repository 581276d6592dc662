/**
 * docs/gateway.md and docs/grafana-dashboard.json against the real /metrics: every metric the alert
 * rules, the metrics table and the dashboard use is one the gateway exports, and the YAML and JSON parse.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

const DOCS = resolve(import.meta.dirname, "../../../docs");
const guide = readFileSync(resolve(DOCS, "gateway.md"), "utf8");
const dashboard = JSON.parse(readFileSync(resolve(DOCS, "grafana-dashboard.json"), "utf8")) as {
  panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
};

/** Metric names in a text, histogram series folded to their family. */
const metricsIn = (text: string) =>
  new Set([...text.matchAll(/\bpolyvault_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")).filter((n) => !n.endsWith("_")));

describe("the gateway's docs match its metrics", () => {
  let b: Bed;
  let exported: Set<string>;
  beforeAll(async () => {
    b = await bed();
    // Touch every code path that creates labelled series, then scrape.
    await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/X", headers: bearer(TOKENS.admin), payload: { value: "x" } });
    await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/X", headers: bearer(TOKENS.admin) });
    await b.app.gateway.scopes.flushPushes();
    await b.app.gateway.activity.refreshRotation();
    const text = (await b.app.inject({ method: "GET", url: "/metrics" })).body;
    exported = new Set([...text.matchAll(/^# TYPE (polyvault_[a-z0-9_]+) /gm)].map((m) => m[1] as string));
  });
  afterAll(async () => {
    await b.close();
  });

  it("the alert rules parse and use only exported metrics", () => {
    const block = /### Alerting rules\n\n```yaml\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBeDefined();
    const rules = parse(block as string) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining(["PolyvaultFailedAccessSpike", "PolyvaultProviderDown", "PolyvaultSyncFailing", "PolyvaultSecretsNearExpiry"]),
    );
    for (const a of alerts) for (const m of metricsIn(a.expr)) expect(exported, `${a.alert} uses ${m}`).toContain(m);
  });

  it("the scrape configuration parses", () => {
    const block = /### Prometheus scrape configuration\n\n```yaml\n([\s\S]*?)```/.exec(guide)?.[1];
    const config = parse(block as string) as { scrape_configs: Array<{ job_name: string; metrics_path: string }> };
    expect(config.scrape_configs[0]).toMatchObject({ job_name: "polyvault", metrics_path: "/metrics" });
  });

  it("every metric in the metrics table is exported, and every exported gateway metric is in the table", () => {
    const table = guide.slice(guide.indexOf("| metric | type |"), guide.indexOf("### Prometheus scrape configuration"));
    const documented = metricsIn(table);
    for (const m of documented) expect(exported, m).toContain(m);
    const own = [...exported].filter((m) => !m.startsWith("polyvault_process_") && !m.startsWith("polyvault_nodejs_"));
    for (const m of own) expect(documented, m).toContain(m);
  });

  it("the Grafana dashboard uses only exported metrics", () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    for (const e of exprs) for (const m of metricsIn(e)) expect(exported, `${m} in ${e}`).toContain(m);
  });
});
