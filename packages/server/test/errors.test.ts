/**
 * Every error code through the one handler: its status, `{"error":{"code","message"}}`, the exact
 * message, and that a refused change changed nothing.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "@polyvault/core";
import { encodeVersion } from "@polyvault/provider-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeHttpError } from "../src/index.js";
import { type Bed, TOKENS, bearer, bed, seg, JSON_TYPE } from "./helpers.js";
import { HTTP_STATUS } from "../src/http-status.js";

const admin = bearer(TOKENS.admin);

describe("errors map to statuses in one handler", () => {
  let b: Bed;
  const get = (url: string, headers = admin) => b.app.inject({ method: "GET", url, headers });
  const put = (url: string, payload: unknown, headers: Record<string, string> = admin) =>
    b.app.inject({
      method: "PUT",
      url,
      headers: { ...headers, "content-type": "application/json" },
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    });
  const expectError = (r: { statusCode: number; json: () => unknown }, status: number, code: string, message: RegExp) => {
    expect(r.statusCode).toBe(status);
    const body = r.json() as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
  };

  beforeAll(async () => {
    b = await bed({
      server: { bodyLimit: 4 * 1024 * 1024 },
      config: { tenants: { acme: { primary: "primary", mirrors: ["mirror"] }, solo: { primary: "primary" } } },
    });
    expect((await put("/v1/tenants/acme/secrets/KEEP", { value: "v1" })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await b.close();
  });

  /** The stored secret did not change: still version 1 with its value. */
  const unchanged = async () => expect((await get("/v1/tenants/acme/secrets/KEEP")).json()).toMatchObject({ version: 1, value: "v1" });

  it("400: a bad tenant id, naming what is wrong", async () => {
    expectError(
      await get("/v1/tenants/Acme/secrets/KEEP"),
      400,
      "INVALID_INPUT",
      /^params\.tenant: tenant id must be lowercase letters, digits, '-' or '_', starting with a letter or digit$/,
    );
    expectError(
      await get(`/v1/tenants/${"a".repeat(64)}/secrets/KEEP`),
      400,
      "INVALID_INPUT",
      /^params\.tenant: tenant id is longer than 63 characters; params\.tenant: tenant id must be lowercase/,
    );
    expectError(await put("/v1/tenants/..%2Fx/secrets/KEEP", { value: "x" }), 400, "INVALID_INPUT", /^params\.tenant: /);
  });

  it("400: a bad secret name (characters, '..' segment, length, leading '/')", async () => {
    expectError(
      await put("/v1/tenants/acme/secrets/bad%20name", { value: "x" }),
      400,
      "INVALID_INPUT",
      /^params\.name: secret name may only contain letters, digits, '_', '-', '.' and '\/'$/,
    );
    expectError(
      await put(`/v1/tenants/acme/secrets/${seg("a/../b")}`, { value: "x" }),
      400,
      "INVALID_INPUT",
      /^params\.name: secret name must not contain a '\.' or '\.\.' segment$/,
    );
    expectError(
      await put(`/v1/tenants/acme/secrets/${"n".repeat(257)}`, { value: "x" }),
      400,
      "INVALID_INPUT",
      /^params\.name: secret name is longer than 256 characters$/,
    );
    expectError(
      await put(`/v1/tenants/acme/secrets/${seg("/lead")}`, { value: "x" }),
      400,
      "INVALID_INPUT",
      /^params\.name: secret name must not start or end with '\/'$/,
    );
    // the longest legal name, all of it '/' sent as %2F, still routes
    const longest = Array.from({ length: 128 }, () => "a")
      .join("/")
      .padEnd(255, "b");
    expect((await put(`/v1/tenants/globex/secrets/${seg(longest)}`, { value: "x" })).statusCode).toBe(200);
  });

  it("400: a raw '/' in a name says to send it as %2F", async () => {
    expectError(
      await get("/v1/tenants/acme/secrets/db/url"),
      400,
      "INVALID_INPUT",
      /^no route GET \/v1\/tenants\/acme\/secrets\/db\/url \(send a '\/' inside a secret name as %2F\)$/,
    );
  });

  it("400: bad bodies, and nothing changes", async () => {
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", { value: "a", valueBase64: "YQ==" }),
      400,
      "INVALID_INPUT",
      /^body: give exactly one of value and valueBase64$/,
    );
    expectError(await put("/v1/tenants/acme/secrets/KEEP", {}), 400, "INVALID_INPUT", /^body: give exactly one of value and valueBase64$/);
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", { value: 42 }),
      400,
      "INVALID_INPUT",
      /^body\.value: Invalid input: expected string, received number$/,
    );
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", { valueBase64: "not base64!" }),
      400,
      "INVALID_INPUT",
      /^body\.valueBase64: valueBase64 must be standard base64$/,
    );
    expectError(await put("/v1/tenants/acme/secrets/KEEP", { value: "a", extra: 1 }), 400, "INVALID_INPUT", /^body: Unrecognized key: "extra"$/);
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", { value: "a", labels: { "bad key": "x" } }),
      400,
      "INVALID_INPUT",
      /^body\.labels\.bad key: Invalid key in record$/,
    );
    expectError(await put("/v1/tenants/acme/secrets/KEEP", '{"value": "unterminated'), 400, "INVALID_INPUT", /^the request body is not valid JSON$/);
    expectError(await put("/v1/tenants/acme/secrets/KEEP", ""), 400, "INVALID_INPUT", /^the request body is empty but its content type is application\/json$/);
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", '{"__proto__": {"x": 1}, "value": "a"}'),
      400,
      "INVALID_INPUT",
      /^the request body is not valid JSON$/,
    );
    expectError(
      await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/KEEP/rotate", headers: admin, payload: { value: "a", length: 10 } }),
      400,
      "INVALID_INPUT",
      /^body: length and alphabet apply to a generated value only$/,
    );
    expectError(
      await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/KEEP/rotate", headers: admin, payload: { length: 4 } }),
      400,
      "INVALID_INPUT",
      /^body\.length: Too small: expected number to be >=8$/,
    );
    await unchanged();
  });

  it("400: bad query strings (unknown key, bad version, bad purge) and nothing is deleted", async () => {
    expectError(await get("/v1/tenants/acme/secrets/KEEP?version=0"), 400, "INVALID_INPUT", /^query\.version: version must be a whole number from 1$/);
    expectError(await get("/v1/tenants/acme/secrets/KEEP?v=1"), 400, "INVALID_INPUT", /^query: Unrecognized key: "v"$/);
    expectError(
      await b.app.inject({ method: "DELETE", url: "/v1/tenants/acme/secrets/KEEP?purge=yes", headers: { ...admin, ...JSON_TYPE } }),
      400,
      "INVALID_INPUT",
      /^query\.purge: purge must be true or false$/,
    );
    await unchanged();
  });

  it("415 for any body that is not JSON (a state-changing request must say application/json)", async () => {
    for (const [type, payload] of [
      ["text/plain", "v2"],
      ["application/xml", "<v>2</v>"],
      ["application/x-www-form-urlencoded", "value=v2"],
      ["multipart/form-data; boundary=x", "--x--"],
    ] as const) {
      const res = await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/KEEP", headers: { ...admin, "content-type": type }, payload });
      expectError(res, 415, "INVALID_INPUT", /^PUT requests must be sent with Content-Type: application\/json \(the body may be empty\)$/);
    }
    await unchanged();
  });

  it("404: a missing secret, a missing version, an unknown route", async () => {
    expectError(await get("/v1/tenants/acme/secrets/NOPE"), 404, "NOT_FOUND", /NOPE/);
    expectError(await get("/v1/tenants/acme/secrets/KEEP?version=9"), 404, "NOT_FOUND", /^version 9 of secret "KEEP" not found in tenant acme$/);
    expectError(
      await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/NOPE/rotate", headers: { ...admin, ...JSON_TYPE } }),
      404,
      "NOT_FOUND",
      /\(rotate needs an existing secret; PUT creates one\)$/,
    );
    expectError(await get("/v2/nothing?value=x"), 404, "NOT_FOUND", /^no route GET \/v2\/nothing$/);
  });

  it("409: a secret Polyvault does not manage is never overwritten", async () => {
    const dir = join(b.primaryDir, "acme", "s", "LEGACY");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "v0000000001.pv");
    writeFileSync(
      file,
      encodeVersion({ name: "LEGACY", tenant: "acme", managed: false, metadata: {}, createdAt: new Date().toISOString() }, Buffer.from("legacy")),
    );
    const before = readFileSync(file);
    expectError(await put("/v1/tenants/acme/secrets/LEGACY", { value: "new" }), 409, "CONFLICT", /is not managed by Polyvault; adopt it first$/);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["v0000000001.pv"]);
  });

  it("413: over the body limit (fastify) and over the provider's value limit (SecretManager)", async () => {
    const small = await bed({ access: false, server: { bodyLimit: 1024 } });
    try {
      const r = await small.app.inject({
        method: "PUT",
        url: "/v1/tenants/acme/secrets/BIG",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ value: "x".repeat(2000) }),
      });
      expectError(r, 413, "TOO_LARGE", /^Request body is too large$/);
    } finally {
      await small.close();
    }
    expectError(
      await put("/v1/tenants/acme/secrets/KEEP", { valueBase64: Buffer.alloc(1024 * 1024).toString("base64") }),
      413,
      "TOO_LARGE",
      /-byte limit of provider primary/,
    );
    await unchanged();
  });

  it("500: a ciphertext that does not open is an integrity failure (no value, no ciphertext in the body)", async () => {
    await put("/v1/tenants/globex/secrets/TAMPERED", { value: "t" });
    const dir = join(b.dir, "data", "store", "globex", "s", "TAMPERED");
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith(".pv")) as string);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
    writeFileSync(file, bytes);
    expectError(await get("/v1/tenants/globex/secrets/TAMPERED"), 500, "INTEGRITY", /./);
  });

  it("503: the primary is unreachable and the tenant has no mirror; writes never fail over", async () => {
    b.breakPrimary();
    expectError(await get("/v1/tenants/solo/secrets/ANY"), 503, "UNAVAILABLE", /^file provider primary: /);
    expectError(await put("/v1/tenants/acme/secrets/KEEP", { value: "v2" }), 503, "UNAVAILABLE", /primary/);
  });
});

describe("describeHttpError", () => {
  it("maps every PolyvaultError code through HTTP_STATUS (http-status.ts), keeping the message", () => {
    const classes = (Object.values(core) as unknown[]).filter(
      (v): v is new (m: string) => core.PolyvaultError => typeof v === "function" && (v as { prototype: unknown }).prototype instanceof core.PolyvaultError,
    );
    expect(classes.length).toBe(Object.keys(HTTP_STATUS).length);
    for (const C of classes) {
      const e = new C("what went wrong");
      expect(describeHttpError(e, "r1")).toEqual({ status: HTTP_STATUS[e.code], code: e.code, message: "what went wrong" });
    }
    expect(Object.values(HTTP_STATUS).sort()).toEqual([400, 401, 403, 404, 409, 413, 422, 500, 500, 503, 503]);
  });

  it("an unknown error is a 500 whose message only points at the log", () => {
    expect(describeHttpError(new TypeError("secret-ish detail"), "req-42")).toEqual({
      status: 500,
      code: "INTERNAL",
      message: "internal error; the gateway log has the details under request id req-42",
    });
    expect(describeHttpError(Object.assign(new Error("plugin detail"), { statusCode: 418 }), "r")).toEqual({
      status: 418,
      code: "INVALID_INPUT",
      message: "the request was refused",
    });
  });
});
