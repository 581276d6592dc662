/**
 * Canary values sent every way a value can reach the gateway (good writes, rotations, base64, refused
 * writes, malformed JSON, a query string, a failover read) and then searched for in everything the
 * gateway emits except the GET answers that asked for them: every log line (at debug level), error
 * bodies, /metrics, /health/secrets, the status page, the OpenAPI document, the audit log and the state.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

const CANARIES = [
  "CANARY-put-5c1e77aa",
  "CANARY-rotate-0b9d2e41",
  "CANARY-b64-73fa0c19",
  "CANARY-denied-4e8a6b02",
  "CANARY-badjson-9d3c5f17",
  "CANARY-query-2a7e4d90",
  "CANARY-extra-6f1b8c33",
];

/** A needle in clear, base64, base64url or hex. */
function forms(s: string): string[] {
  const b = Buffer.from(s);
  return [s, b.toString("base64"), b.toString("base64url"), b.toString("hex")];
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? filesBelow(p) : [p];
  });
}

describe("no value in any output", () => {
  let b: Bed;
  const outputs: Array<{ where: string; text: string }> = [];
  const admin = bearer(TOKENS.admin);
  const send = async (where: string, req: InjectOptions) => {
    const r = await b.app.inject(req);
    outputs.push({ where: `${where} (${r.statusCode})`, text: `${JSON.stringify(r.headers)}\n${r.body}` });
    return r;
  };

  beforeAll(async () => {
    b = await bed();
    const [put, rotate, b64, denied, badJson, query, extra] = CANARIES as [string, string, string, string, string, string, string];
    expect((await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: put } })).statusCode).toBe(200);
    expect((await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/OTHER", headers: admin, payload: { value: put } })).statusCode).toBe(200);
    expect(
      (await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/db%2Furl/rotate", headers: admin, payload: { value: rotate } })).statusCode,
    ).toBe(200);
    expect(
      (
        await b.app.inject({
          method: "PUT",
          url: "/v1/tenants/acme/secrets/BIN",
          headers: admin,
          payload: { valueBase64: Buffer.from(b64).toString("base64") },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await send("denied write", { method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer(TOKENS.reader), payload: { value: denied } }))
        .statusCode,
    ).toBe(403);
    expect((await send("no token", { method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", payload: { value: denied } })).statusCode).toBe(401);
    expect(
      (
        await send("bad json", {
          method: "PUT",
          url: "/v1/tenants/acme/secrets/X",
          headers: { ...admin, "content-type": "application/json" },
          payload: `{"value": "${badJson}`,
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await send("bad json 2", {
          method: "PUT",
          url: "/v1/tenants/acme/secrets/X",
          headers: { ...admin, "content-type": "application/json" },
          payload: `{"value": ${badJson}}`,
        })
      ).statusCode,
    ).toBe(400);
    expect((await send("query", { method: "GET", url: `/v1/tenants/acme/secrets/X?value=${query}`, headers: admin })).statusCode).toBe(400);
    expect((await send("unknown route + query", { method: "GET", url: `/nowhere?value=${query}` })).statusCode).toBe(404);
    expect(
      (await send("extra key", { method: "PUT", url: "/v1/tenants/acme/secrets/X", headers: admin, payload: { value: extra, valueBase64: "eA==" } }))
        .statusCode,
    ).toBe(400);
    expect((await send("wrong type", { method: "PUT", url: "/v1/tenants/acme/secrets/X", headers: admin, payload: { value: [extra] } })).statusCode).toBe(400);
    expect(
      (
        await send("too large", {
          method: "PUT",
          url: "/v1/tenants/acme/secrets/X",
          headers: admin,
          payload: { valueBase64: Buffer.from(extra.repeat(60_000)).toString("base64") },
        })
      ).statusCode,
    ).toBe(413);
    // the values are stored and readable: the GET answers are the only place they may appear
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin })).json().value).toBe(rotate);
    await b.app.gateway.scopes.flushPushes();
    b.breakPrimary();
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin })).json()).toMatchObject({
      value: rotate,
      stale: true,
    });
    for (const url of ["/metrics", "/health/secrets", "/", "/openapi.json", "/health"]) await send(url, { method: "GET", url });
    await b.app.gateway.activity.refreshRotation();
    await send("/metrics after refresh", { method: "GET", url: "/metrics" });
    await b.app.gateway.scopes.security.audit.checkpoint();
  });
  afterAll(async () => {
    await b.close();
  });

  it("not in any log line (captured at debug level), nor the bearer tokens", () => {
    expect(b.logs.length).toBeGreaterThan(20);
    const log = b.logs.join("");
    for (const c of CANARIES) for (const f of forms(c)) expect(log, c).not.toContain(f);
    // not even a fragment (V8's JSON syntax errors quote a few characters of the input)
    expect(log).not.toContain("CANARY");
    for (const t of Object.values(TOKENS)) expect(log).not.toContain(t);
    // the refusals were logged, by code and message
    expect(log).toContain('"code":"ACCESS_DENIED"');
    expect(log).toContain("the request body is not valid JSON");
  });

  it("not in any error body, health answer, metric, status page or OpenAPI document", () => {
    expect(outputs.length).toBe(15);
    for (const o of outputs) for (const c of CANARIES) for (const f of forms(c)) expect(o.text, `${o.where} holds ${c}`).not.toContain(f);
    for (const o of outputs) expect(o.text, `${o.where} holds a fragment of a canary`).not.toContain("CANARY");
  });

  it("not in the audit log, the state database or any other file outside the providers' stores", () => {
    const dataDir = join(b.dir, "data");
    const files = filesBelow(dataDir).filter((f) => !f.includes(`${join(dataDir, "store")}/`));
    expect(files.some((f) => f.endsWith("audit.log"))).toBe(true);
    expect(files.some((f) => f.endsWith("state.db"))).toBe(true);
    for (const f of files) {
      const data = readFileSync(f);
      for (const c of CANARIES) for (const needle of forms(c)) expect(data.includes(Buffer.from(needle)), `${f} holds ${c}`).toBe(false);
    }
  });
});
