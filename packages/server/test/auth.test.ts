/**
 * Bearer tokens → principals → the same access control and audit as the CLI, per request: 401 without
 * or with an unknown token, 403 for a role that lacks the right or a name outside the role's globs,
 * lockout, list filtering, and every request's id and principal in its audit records.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

interface Rec {
  type: string;
  actor: string;
  action: string;
  outcome: string;
  tenant?: string;
  name?: string;
  requestId?: string;
  reason?: string;
}

describe("authentication and access control per request", () => {
  let b: Bed;
  const records = () =>
    readFileSync(join(b.dir, "data", "audit.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Rec)
      .filter((r) => r.type === "record");
  const err = (r: { json: () => unknown }) => (r.json() as { error: { code: string; message: string } }).error;

  beforeAll(async () => {
    b = await bed();
    for (const name of ["db/url", "db/password", "other/key"]) {
      expect(
        (
          await b.app.inject({
            method: "PUT",
            url: `/v1/tenants/acme/secrets/${encodeURIComponent(name)}`,
            headers: bearer(TOKENS.admin),
            payload: { value: `v-${name}` },
          })
        ).statusCode,
      ).toBe(200);
    }
  });
  afterAll(async () => {
    await b.close();
  });

  it("401 without a token, with an unknown token, with a malformed header; each audited as authenticate", async () => {
    const none = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl" });
    expect(none.statusCode).toBe(401);
    expect(err(none)).toEqual({ code: "UNAUTHORIZED", message: "access control is on: send 'Authorization: Bearer <token>'" });
    const unknown = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer("not-a-token") });
    expect(unknown.statusCode).toBe(401);
    expect(err(unknown)).toEqual({ code: "UNAUTHORIZED", message: "the bearer token does not match any principal" });
    const basic = await b.app.inject({
      method: "GET",
      url: "/v1/tenants/acme/secrets",
      headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
    });
    expect(basic.statusCode).toBe(401);
    expect(err(basic)).toEqual({ code: "UNAUTHORIZED", message: "the Authorization header must be 'Bearer <token>'" });
    // 401 comes before validation: an unauthenticated caller learns nothing about what is valid
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/BAD/secrets/x" })).statusCode).toBe(401);
    const auth = records().filter((r) => r.action === "authenticate");
    expect(auth.map((r) => [r.actor, r.outcome, r.reason])).toEqual(
      expect.arrayContaining([
        ["(unauthenticated)", "UNAUTHORIZED", "no token"],
        ["(unauthenticated)", "UNAUTHORIZED", "unknown token"],
      ]),
    );
    expect(JSON.stringify(records())).not.toContain("not-a-token");
  });

  it("a reader reads inside its glob; 403 outside it, for writes, and in another tenant", async () => {
    const reader = bearer(TOKENS.reader);
    const ok = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: reader });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().value).toBe("v-db/url");
    const outside = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/other%2Fkey", headers: reader });
    expect(outside.statusCode).toBe(403);
    expect(err(outside)).toEqual({ code: "ACCESS_DENIED", message: 'no role of principal reader grants read on secret "other/key" in tenant acme' });
    const write = await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: reader, payload: { value: "evil" } });
    expect(write.statusCode).toBe(403);
    expect(err(write).message).toBe("no role of principal reader grants write in tenant acme");
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer(TOKENS.admin) })).json()).toMatchObject({
      version: 1,
      value: "v-db/url",
    });
  });

  it("a list shows only the names the caller's globs allow", async () => {
    const r = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets", headers: bearer(TOKENS.reader) });
    expect(
      r
        .json()
        .secrets.map((s: { name: string }) => s.name)
        .sort(),
    ).toEqual(["db/password", "db/url"]);
    const all = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets", headers: bearer(TOKENS.writer) });
    expect(
      all
        .json()
        .secrets.map((s: { name: string }) => s.name)
        .sort(),
    ).toEqual(["db/password", "db/url", "other/key"]);
  });

  it("an auditor may list but never read a value; an operator neither reads nor writes", async () => {
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets", headers: bearer(TOKENS.auditor) })).statusCode).toBe(200);
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer(TOKENS.auditor) })).statusCode).toBe(403);
    expect(
      (await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/x", headers: bearer(TOKENS.operator), payload: { value: "x" } })).statusCode,
    ).toBe(403);
  });

  it("each request is audited under its own principal and request id", async () => {
    const r = await b.app.inject({
      method: "GET",
      url: "/v1/tenants/acme/secrets/db%2Fpassword",
      headers: { ...bearer(TOKENS.reader), "x-request-id": "req-reader-0001" },
    });
    expect(r.statusCode).toBe(200);
    const w = await b.app.inject({
      method: "PUT",
      url: "/v1/tenants/acme/secrets/db%2Fnew",
      headers: { ...bearer(TOKENS.writer), "x-request-id": "req-writer-0001" },
      payload: { value: "n" },
    });
    expect(w.statusCode).toBe(200);
    const mine = records().filter((x) => x.requestId === "req-reader-0001");
    expect(mine.map((x) => [x.actor, x.action, x.tenant, x.name, x.outcome])).toEqual([["reader", "read", "acme", "db/password", "ok"]]);
    const writes = records().filter((x) => x.requestId === "req-writer-0001");
    expect(writes.map((x) => [x.actor, x.action, x.outcome])).toEqual([
      ["writer", "write", "started"],
      ["writer", "write", "ok"],
    ]);
    // A denied request is recorded once, under its principal and request id, as a denial of what was asked.
    const refused = await b.app.inject({
      method: "PUT",
      url: "/v1/tenants/acme/secrets/db%2Fdenied",
      headers: { ...bearer(TOKENS.reader), "x-request-id": "req-reader-denied-01" },
      payload: { value: "n" },
    });
    expect(refused.statusCode).toBe(403);
    const denied = records().filter((x) => x.requestId === "req-reader-denied-01");
    expect(denied.map((x) => [x.actor, x.action, x.tenant, x.name, x.outcome])).toEqual([["reader", "write", "acme", "db/denied", "denied"]]);
  });

  it("a principal locked out after repeated denials is refused even what its role allows", async () => {
    const locked = bearer(TOKENS.locked); // reader of globex only; maxFailures is 3
    await b.app.inject({ method: "PUT", url: "/v1/tenants/globex/secrets/G", headers: bearer(TOKENS.admin), payload: { value: "g" } });
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/G", headers: locked })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: locked })).statusCode).toBe(403);
    const refused = await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/G", headers: locked });
    expect(refused.statusCode).toBe(403);
    expect(err(refused).message).toMatch(/^principal locked is locked out until \d{4}-\d\d-\d\dT.* after repeated denied requests$/);
    // Other principals are not affected (the writer: the reader has its own three denials from the test above).
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer(TOKENS.writer) })).statusCode).toBe(200);
  });

  it("health, metrics, OpenAPI and the status page need no token", async () => {
    for (const url of ["/health", "/health/secrets", "/metrics", "/openapi.json", "/"])
      expect((await b.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
  });
});
