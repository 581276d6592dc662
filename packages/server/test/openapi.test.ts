/** /openapi.json is generated from the same declarations that fastify routes and validates. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, bed } from "./helpers.js";

interface Operation {
  summary: string;
  security: unknown[];
  parameters: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string }>;
}

describe("OpenAPI document", () => {
  let b: Bed;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };
  beforeAll(async () => {
    b = await bed();
    const r = await b.app.inject({ method: "GET", url: "/openapi.json" });
    expect(r.statusCode).toBe(200);
    doc = r.json();
  });
  afterAll(async () => {
    await b.close();
  });

  it("is OpenAPI 3.1 with bearer auth and lists exactly the routes the server answers", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer", description: expect.stringMatching(/principal's token/) });
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const served = b.app.gateway.routes.map((r) => `${r.method} ${r.url.replace(/:([a-z]+)/g, "{$1}")}`).sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      [
        "DELETE /v1/tenants/{tenant}/secrets/{name}",
        "GET /",
        "GET /health",
        "GET /health/secrets",
        "GET /metrics",
        "GET /openapi.json",
        "GET /v1/tenants/{tenant}/secrets",
        "GET /v1/tenants/{tenant}/secrets/{name}",
        "GET /v1/tenants/{tenant}/secrets/{name}/versions",
        "POST /v1/sync/apply",
        "POST /v1/sync/plan",
        "POST /v1/tenants/{tenant}/secrets/{name}/rotate",
        "PUT /v1/tenants/{tenant}/secrets/{name}",
      ].sort(),
    );
    for (const [m, route] of b.app.gateway.routes.map((r) => [r.method, r] as const)) {
      // every route the document lists is really registered with fastify
      expect(b.app.hasRoute({ method: m, url: route.url }), `${m} ${route.url}`).toBe(true);
    }
  });

  it("parameters and bodies carry the validation rules", () => {
    const get = doc.paths["/v1/tenants/{tenant}/secrets/{name}"]?.get as Operation;
    expect(get.security).toEqual([{ bearer: [] }]);
    const tenant = get.parameters.find((p) => p.name === "tenant");
    expect(tenant).toMatchObject({ in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,62}$", maxLength: 63 } });
    expect(get.parameters.find((p) => p.name === "version")).toMatchObject({ in: "query", required: false, schema: { pattern: "^[1-9][0-9]{0,8}$" } });
    expect(Object.keys(get.responses).sort()).toEqual(["200", "400", "401", "403", "404", "414", "429", "500", "503"]);
    const put = doc.paths["/v1/tenants/{tenant}/secrets/{name}"]?.put as Operation;
    const body = put.requestBody?.content["application/json"]?.schema as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(put.requestBody?.required).toBe(true);
    expect(Object.keys(body.properties).sort()).toEqual(["labels", "value", "valueBase64"]);
    expect(body.additionalProperties).toBe(false);
    expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(["200", "409", "413", "415"]));
    // exactly one of value and valueBase64, in JSON Schema
    expect(body).toMatchObject({ oneOf: [{ required: ["value"] }, { required: ["valueBase64"] }] });
    const rotate = doc.paths["/v1/tenants/{tenant}/secrets/{name}/rotate"]?.post as Operation;
    expect(rotate.requestBody?.required).toBe(false);
    const health = doc.paths["/health/secrets"]?.get as Operation;
    expect(health.security).toEqual([]);
  });
});
