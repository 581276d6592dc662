/** /metrics: the seed's counters per tenant, provider timings, sync actions, HTTP timings; bounded labels. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TENANTS, TenantLabels } from "../src/metrics/labels.js";
import { type Bed, TOKENS, bearer, bed, JSON_TYPE } from "./helpers.js";

describe("/metrics", () => {
  let b: Bed;
  const admin = bearer(TOKENS.admin);
  const scrape = async () => {
    const r = await b.app.inject({ method: "GET", url: "/metrics" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.body;
  };
  const metric = (text: string, line: string) => {
    const found = text.split("\n").find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  };

  beforeAll(async () => {
    b = await bed();
  });
  afterAll(async () => {
    await b.close();
  });

  it("the seed's counters move with reads, writes, rotations and refusals", async () => {
    const before = await scrape();
    expect(metric(before, 'polyvault_secret_access_total{tenant="acme"}')).toBeUndefined();
    await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/SECRET_NAME_SHOULD_NOT_APPEAR", headers: admin, payload: { value: "v" } });
    for (let i = 0; i < 3; i++) await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/SECRET_NAME_SHOULD_NOT_APPEAR", headers: admin });
    await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/SECRET_NAME_SHOULD_NOT_APPEAR/rotate", headers: { ...admin, ...JSON_TYPE } });
    await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/x" });
    await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/other", headers: bearer(TOKENS.reader) });
    await b.app.gateway.scopes.flushPushes();
    const after = await scrape();
    expect(metric(after, 'polyvault_secret_access_total{tenant="acme"}')).toBe(3);
    expect(metric(after, 'polyvault_encryption_operations_total{tenant="acme"}')).toBe(2);
    expect(metric(after, 'polyvault_decryption_operations_total{tenant="acme"}')).toBe(3);
    expect(metric(after, 'polyvault_rotation_events_total{tenant="acme"}')).toBe(1);
    expect(metric(after, 'polyvault_failed_access_attempts_total{tenant="*"}')).toBe(1);
    expect(metric(after, 'polyvault_failed_access_attempts_total{tenant="acme"}')).toBe(1);
    expect(after).not.toContain("SECRET_NAME_SHOULD_NOT_APPEAR");
  });

  it("provider calls are timed by provider, operation and outcome; every call is counted", async () => {
    const text = await scrape();
    expect(metric(text, 'polyvault_provider_request_duration_seconds_count{provider="primary",operation="put",outcome="ok"}')).toBe(2);
    expect(metric(text, 'polyvault_provider_request_duration_seconds_count{provider="primary",operation="get",outcome="ok"}')).toBe(3);
    expect(metric(text, 'polyvault_provider_request_duration_seconds_count{provider="primary",operation="head",outcome="NOT_FOUND"}')).toBe(1);
    expect(metric(text, 'polyvault_provider_calls_total{provider="mirror",operation="put"}')).toBe(2);
  });

  it("push-on-write syncs are counted by route and action", async () => {
    const text = await scrape();
    // A write and its rotation: one run each, or one run for both when the second arrived while the first was queued.
    const runs = metric(text, 'polyvault_sync_runs_total{route="acme-mirror",source="push",outcome="ok"}') ?? 0;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'polyvault_sync_actions_total{route="acme-mirror",action="created"}')).toBe(1);
    expect(metric(text, 'polyvault_sync_actions_total{route="acme-mirror",action="updated"}') ?? 0).toBe(runs - 1);
    expect(metric(text, 'polyvault_sync_last_run_timestamp_seconds{route="acme-mirror",ok="true"}')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it("HTTP requests are timed by route pattern, never by path", async () => {
    const text = await scrape();
    expect(metric(text, 'polyvault_http_request_duration_seconds_count{method="GET",route="/v1/tenants/:tenant/secrets/:name",status="200"}')).toBe(3);
    expect(metric(text, 'polyvault_http_request_duration_seconds_count{method="GET",route="/v1/tenants/:tenant/secrets/:name",status="401"}')).toBe(1);
    expect(text).not.toMatch(/route="\/v1\/tenants\/acme/);
  });

  it("breakers, provider health, rotation status", async () => {
    await b.app.gateway.activity.refreshRotation();
    const text = await scrape();
    for (const p of ["local", "primary", "mirror"]) {
      expect(metric(text, `polyvault_provider_breaker_state{provider="${p}",state="closed"}`)).toBe(1);
      expect(metric(text, `polyvault_provider_up{provider="${p}"}`)).toBe(1);
    }
    expect(metric(text, 'polyvault_secrets_rotation{tenant="acme",status="ok"}')).toBe(1);
    expect(metric(text, 'polyvault_secrets_rotation{tenant="acme",status="overdue"}')).toBe(0);
  });

  it("tenant labels are bounded: configured tenants keep theirs, others share _other past the limit", () => {
    const labels = new TenantLabels(["acme"], 2);
    expect(["acme", "t1", "t2", "t3", "t4", "acme", "t1"].map((t) => labels.of(t))).toEqual(["acme", "t1", "t2", OTHER_TENANTS, OTHER_TENANTS, "acme", "t1"]);
  });
});
