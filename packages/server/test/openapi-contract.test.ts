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

describe("the document's security follows the configuration", () => {
  const schemes = async (options: Parameters<typeof bed>[0]) => {
    const b = await bed(options);
    try {
      const doc = (await b.app.inject({ method: "GET", url: "/openapi.json" })).json();
      const get = doc.paths["/v1/tenants/{tenant}/secrets/{name}"].get;
      // what the server does without a token: 401 where the document asks for one
      const unauth = (await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets" })).statusCode;
      return { scheme: doc.components.securitySchemes?.bearer, security: get.security, has401: "401" in get.responses, top: doc.security, unauth };
    } finally {
      await b.close();
    }
  };

  it("with access: a principal's bearer token", async () => {
    const s = await schemes({});
    expect(s.scheme).toMatchObject({ type: "http", scheme: "bearer", description: expect.stringMatching(/^A principal's token/) });
    expect(s).toMatchObject({ security: [{ bearer: [] }], has401: true, top: [{ bearer: [] }], unauth: 401 });
  });

  it("without access, with the local token: that token, and not the file's path", async () => {
    const s = await schemes({ access: false, server: { localToken: { token: "L".repeat(43), file: "/secret/place/gateway.token" } } });
    expect(s.scheme).toMatchObject({ type: "http", scheme: "bearer", description: expect.stringMatching(/local token, kept in gateway.token/) });
    expect(JSON.stringify(s.scheme)).not.toContain("/secret/place");
    expect(s).toMatchObject({ security: [{ bearer: [] }], has401: true, unauth: 401 });
  });

  it("without access or a local token (embedded): nothing asked, no 401", async () => {
    const s = await schemes({ access: false });
    expect(s).toEqual({ scheme: undefined, security: [], has401: false, top: [], unauth: 200 });
  });
});
