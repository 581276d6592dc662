/**
 * Failover over HTTP: the primary's store is made unreachable (its directory replaced by a regular
 * file, so every call fails with UnavailableError). Reads are answered by the mirror with stale: true,
 * /health/secrets shows the primary down, the breaker opens, and /metrics counts it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

describe("failover reads over HTTP", () => {
  let b: Bed;
  const admin = bearer(TOKENS.admin);
  const getDb = () => b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin });

  beforeAll(async () => {
    b = await bed();
    expect(
      (await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: "postgres://mirrored" } })).statusCode,
    ).toBe(200);
    await b.app.gateway.scopes.flushPushes();
    expect(b.app.gateway.scopes.pushErrors).toEqual([]);
  });
  afterAll(async () => {
    await b.close();
  });

  it("answers from the primary while it is up", async () => {
    const r = await getDb();
    expect(r.json()).toMatchObject({ servedBy: "primary", stale: false });
    const h = (await b.app.inject({ method: "GET", url: "/health/secrets" })).json();
    expect(h.status).toBe("ok");
    expect(h.providers.primary).toMatchObject({ type: "file", up: true, breaker: "closed" });
  });

  it("with the primary unreachable, the mirror answers with stale: true, in the body and the headers", async () => {
    b.breakPrimary();
    const r = await getDb();
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ tenant: "acme", name: "db/url", version: 1, value: "postgres://mirrored", servedBy: "mirror", stale: true });
    expect(typeof r.json().mirrorSyncedAt).toBe("string");
    expect(r.headers["x-polyvault-served-by"]).toBe("mirror");
    expect(r.headers["x-polyvault-stale"]).toBe("true");
  });

  it("/health/secrets shows the primary down (degraded), the others up", async () => {
    const r = await b.app.inject({ method: "GET", url: "/health/secrets" });
    expect(r.statusCode).toBe(200);
    const h = r.json();
    expect(h.status).toBe("degraded");
    expect(h.providers.primary.up).toBe(false);
    expect(h.providers.primary.detail).toMatch(/EEXIST|ENOTDIR/);
    expect(h.providers.mirror.up).toBe(true);
    expect(h.providers.local.up).toBe(true);
  });

  it("repeated failures open the primary's breaker; reads keep failing over; writes are refused with 503", async () => {
    for (let i = 0; i < 6; i++) expect((await getDb()).json().servedBy).toBe("mirror");
    expect(b.rt.gate("primary").breakerState).toBe("open");
    expect((await b.app.inject({ method: "GET", url: "/health/secrets" })).json().providers.primary.breaker).toBe("open");
    const w = await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: "x" } });
    expect(w.statusCode).toBe(503);
    expect(w.json().error.code).toBe("UNAVAILABLE");
  });

  it("/metrics counts the failover reads, the primary's failures and its breaker", async () => {
    const m = (await b.app.inject({ method: "GET", url: "/metrics" })).body;
    const value = (re: RegExp) => Number(re.exec(m)?.[1] ?? Number.NaN);
    expect(value(/^polyvault_failover_reads_total\{provider="mirror"\} (\d+)$/m)).toBeGreaterThanOrEqual(7);
    expect(value(/^polyvault_provider_up\{provider="primary"\} (\d+)$/m)).toBe(0);
    expect(value(/^polyvault_provider_up\{provider="mirror"\} (\d+)$/m)).toBe(1);
    expect(value(/^polyvault_provider_breaker_state\{provider="primary",state="open"\} (\d+)$/m)).toBe(1);
    expect(
      value(/^polyvault_provider_request_duration_seconds_count\{provider="primary",operation="get",outcome="UNAVAILABLE"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(value(/^polyvault_provider_request_duration_seconds_count\{provider="mirror",operation="get",outcome="ok"\} (\d+)$/m)).toBeGreaterThanOrEqual(7);
  });

  it("the status page shows the primary down", async () => {
    const html = (await b.app.inject({ method: "GET", url: "/" })).body;
    expect(html).toContain("Some providers are down");
    expect(html).toMatch(/<td>primary<\/td><td>file<\/td><td>down<\/td>/);
  });
});
