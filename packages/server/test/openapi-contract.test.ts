/**
 * Cases the property test (openapi-property.test.ts) found where the server disagreed with
 * /openapi.json, kept as plain regression tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, TOKENS, bearer, bed } from "./helpers.js";

describe("the gateway does what its document says", () => {
  let b: Bed;
  const h = { ...bearer(TOKENS.admin), ...JSON_TYPE };
  const version = async () => (await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/app%2Fkey", headers: h })).json().version;
  beforeAll(async () => {
    b = await bed();
    expect((await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/app%2Fkey", headers: h, payload: { value: "one" } })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await b.close();
  });

  it("a JSON null body is not an object: 400, and nothing rotated (it was taken as no body)", async () => {
    const res = await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/app%2Fkey/rotate", headers: h, payload: "null" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: "INVALID_INPUT", message: "body: Invalid input: expected object, received null" } });
    expect(await version()).toBe(1);
    const plan = await b.app.inject({ method: "POST", url: "/v1/sync/plan", headers: h, payload: "null" });
    expect(plan.statusCode).toBe(400);
  });

  it("no body at all is still an empty body where the body is optional", async () => {
    const res = await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/app%2Fkey/rotate", headers: h });
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(2);
  });
});
