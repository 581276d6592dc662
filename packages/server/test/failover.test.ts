/**
 * Failover over HTTP (file providers; the same over the network, against real servers stopped or
 * black-holed: test/e2e/gateway-failover-network.test.ts): the primary's store is made unreachable (its directory replaced by a regular
 * file, so every call fails with UnavailableError). Reads are answered by the mirror with stale: true,
 * /health/secrets shows the primary down, the breaker opens, and /metrics counts it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

/** A bed whose secret db/url has reached the mirror; `down` makes the primary unreachable. */
async function mirroredBed(down: boolean): Promise<Bed> {
  const b = await bed();
  const put = await b.app.inject({
    method: "PUT",
    url: "/v1/tenants/acme/secrets/db%2Furl",
    headers: bearer(TOKENS.admin),
    payload: { value: "postgres://mirrored" },
  });
  expect(put.statusCode).toBe(200);
  await b.app.gateway.scopes.flushPushes();
  expect(b.app.gateway.scopes.pushErrors).toEqual([]);
  if (down) b.breakPrimary();
  return b;
}

const admin = bearer(TOKENS.admin);
const getDb = (b: Bed) => b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin });

/** Fails over until the primary's breaker is open (at most 10 reads); returns how many reads it took. */
async function openBreaker(b: Bed): Promise<number> {
  let reads = 0;
  while (b.rt.gate("primary").breakerState !== "open" && reads < 10) {
    expect((await getDb(b)).json().servedBy).toBe("mirror");
    reads++;
  }
  return reads;
}

describe("failover reads over HTTP: primary up", () => {
  let b: Bed;
  beforeAll(async () => {
    b = await mirroredBed(false);
  });
  afterAll(() => b.close());

  it("answers from the primary while it is up", async () => {
    const r = await getDb(b);
    expect(r.json()).toMatchObject({ servedBy: "primary", stale: false });
    const h = (await b.app.inject({ method: "GET", url: "/health/secrets" })).json();
    expect(h.status).toBe("ok");
    expect(h.providers.primary).toMatchObject({ type: "file", up: true, breaker: "closed" });
  });
});

// Each test below gets its own bed with the primary's store unreachable, so any one can run alone (-t).
describe("failover reads over HTTP: primary unreachable", () => {
  let b: Bed;
  beforeEach(async () => {
    b = await mirroredBed(true);
  });
  afterEach(() => b.close());

  it("the mirror answers with stale: true, in the body and the headers", async () => {
    const r = await getDb(b);
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
    expect(await openBreaker(b)).toBeGreaterThan(1);
    expect(b.rt.gate("primary").breakerState).toBe("open");
    expect((await getDb(b)).json().servedBy).toBe("mirror");
    expect((await b.app.inject({ method: "GET", url: "/health/secrets" })).json().providers.primary.breaker).toBe("open");
    const w = await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: "x" } });
    expect(w.statusCode).toBe(503);
    expect(w.json().error.code).toBe("UNAVAILABLE");
  });

  it("/metrics counts the failover reads, the primary's failures and its breaker", async () => {
    const reads = (await openBreaker(b)) + 1;
    expect((await getDb(b)).json().servedBy).toBe("mirror");
    const m = (await b.app.inject({ method: "GET", url: "/metrics" })).body;
    const value = (re: RegExp) => Number(re.exec(m)?.[1] ?? Number.NaN);
    expect(value(/^polyvault_failover_reads_total\{provider="mirror"\} (\d+)$/m)).toBe(reads);
    expect(value(/^polyvault_provider_up\{provider="primary"\} (\d+)$/m)).toBe(0);
    expect(value(/^polyvault_provider_up\{provider="mirror"\} (\d+)$/m)).toBe(1);
    expect(value(/^polyvault_provider_breaker_state\{provider="primary",state="open"\} (\d+)$/m)).toBe(1);
    expect(
      value(/^polyvault_provider_request_duration_seconds_count\{provider="primary",operation="get",outcome="UNAVAILABLE"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(value(/^polyvault_provider_request_duration_seconds_count\{provider="mirror",operation="get",outcome="ok"\} (\d+)$/m)).toBeGreaterThanOrEqual(reads);
  });

  it("the status page shows the primary down", async () => {
    await getDb(b);
    const html = (await b.app.inject({ method: "GET", url: "/" })).body;
    expect(html).toContain("Some providers are down");
    expect(html).toMatch(/<td>primary<\/td><td>file<\/td><td>down<\/td>/);
  });
});
