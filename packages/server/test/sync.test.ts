/** /v1/sync/plan and /v1/sync/apply: value-free plans, `sync` permission, audit, metrics. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, TOKENS, bearer, bed } from "./helpers.js";

describe("sync over HTTP", () => {
  let b: Bed;
  const post = (url: string, token: string, payload?: unknown) =>
    b.app.inject({ method: "POST", url, headers: { ...bearer(token), ...JSON_TYPE }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    // push-on-write off, so the mirror lags until a sync is asked for
    b = await bed({ pushOnWrite: false });
    for (const n of ["A", "B"])
      expect(
        (await b.app.inject({ method: "PUT", url: `/v1/tenants/acme/secrets/${n}`, headers: bearer(TOKENS.admin), payload: { value: `value-${n}` } }))
          .statusCode,
      ).toBe(200);
  });
  afterAll(async () => {
    await b.close();
  });

  it("plans without values, for an operator", async () => {
    const r = await post("/v1/sync/plan", TOKENS.operator, { tenant: "acme" });
    expect(r.statusCode).toBe(200);
    const plan = r.json();
    expect(plan.actions).toEqual([
      { route: "acme-mirror", target: "mirror", tenant: "acme", name: "A", action: "create", reason: expect.any(String), apply: "write" },
      { route: "acme-mirror", target: "mirror", tenant: "acme", name: "B", action: "create", reason: expect.any(String), apply: "write" },
    ]);
    expect(plan.summary).toMatchObject({ create: 2, changes: 2 });
    expect(r.body).not.toContain("value-A");
    // no body at all: every route and tenant
    expect((await post("/v1/sync/plan", TOKENS.operator)).json().summary.create).toBe(2);
  });

  it("403 for a role without sync, 400 for an unknown route or a bad tenant; nothing is applied", async () => {
    const denied = await post("/v1/sync/apply", TOKENS.writer, { tenant: "acme" });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toEqual({ code: "ACCESS_DENIED", message: "no role of principal writer grants sync in tenant acme" });
    const unknown = await post("/v1/sync/apply", TOKENS.operator, { route: "nope" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toEqual({ code: "INVALID_INPUT", message: "no route named 'nope' (configured: acme-mirror)" });
    const bad = await post("/v1/sync/plan", TOKENS.operator, { tenant: "Not Valid" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^body\.tenant: tenant id must be lowercase/);
    expect((await post("/v1/sync/plan", TOKENS.operator, { tenant: "acme" })).json().summary.create).toBe(2);
  });

  it("applies, reports counts, and is audited and counted", async () => {
    const r = await post("/v1/sync/apply", TOKENS.operator, { route: "acme-mirror", tenant: "acme" });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.ok).toBe(true);
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ route: "acme-mirror", counts: { created: 2, failed: 0 }, failures: [] });
    expect((await post("/v1/sync/plan", TOKENS.operator, { tenant: "acme" })).json().summary).toMatchObject({ create: 0, noop: 2 });
    const audit = readFileSync(join(b.dir, "data", "audit.log"), "utf8");
    // Recorded before it ran ("started") and after, with its counts (runtime/src/operations: the same as the CLI's).
    expect(audit).toMatch(/"action":"sync\.apply","actor":"operator",.*"outcome":"started"/);
    expect(audit).toMatch(
      /"action":"sync\.apply","actor":"operator","detail":"route=acme-mirror routes=1 skipped=0 created=2 [^"]*","mac":"[^"]+","outcome":"ok"/,
    );
    expect(audit).toMatch(
      /"action":"sync\.apply","actor":"writer",.*"outcome":"denied","prev":"[0-9a-f]+","reason":"no role of principal writer grants sync in tenant acme"/,
    );
    const metrics = (await b.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toMatch(/^polyvault_sync_runs_total\{route="acme-mirror",source="api",outcome="ok"\} 1$/m);
    expect(metrics).toMatch(/^polyvault_sync_actions_total\{route="acme-mirror",action="created"\} 2$/m);
  });
});
