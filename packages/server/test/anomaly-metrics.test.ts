/**
 * Access-anomaly alerts on the gateway: a run of denied HTTP requests by one principal is counted in
 * polyvault_anomaly_alerts_total{rule, principal}, reaches the webhook, and neither carries the secret
 * name that was asked for.
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

describe("anomaly alerts through the gateway", () => {
  let b: Bed;
  let hook: Server;
  const bodies: string[] = [];
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    b = await bed({ config: { alerts: { webhook: url, anomaly: { denials: { count: 3, windowSeconds: 600 } } } } });
  });
  afterAll(async () => {
    await b.close();
    await new Promise((r) => hook.close(r));
  });

  const scrape = async () => (await b.app.inject({ method: "GET", url: "/metrics" })).body;
  const deny = () => b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/PAYROLL_DB_PASSWORD", headers: bearer(TOKENS.reader) });

  it("counts the alert by rule and principal only, at the third denial and not before", async () => {
    expect((await deny()).statusCode).toBe(403);
    expect((await deny()).statusCode).toBe(403);
    expect(await scrape()).not.toMatch(/^polyvault_anomaly_alerts_total\{/m);
    expect((await deny()).statusCode).toBe(403);
    const text = await scrape();
    expect(text).toContain('polyvault_anomaly_alerts_total{rule="denials",principal="reader"} 1');
    expect(text).not.toContain("PAYROLL");
    await b.app.gateway.scopes.security.anomaly?.idle();
    const alert = bodies.map((s) => JSON.parse(s) as Record<string, unknown>).find((j) => j.kind === "access.anomaly");
    expect(alert).toMatchObject({ rule: "denials", principal: "reader", observed: 3, threshold: 3 });
    expect(bodies.join("\n")).not.toContain("PAYROLL");
  });
});
