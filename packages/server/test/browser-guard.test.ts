/**
 * Issue 15 finding 2: a gateway without `access`, attacked from a web page its operator opens. A
 * cross-site POST …/rotate with no body (a "simple" request: no CORS preflight) and a DNS-rebinding
 * page (any Host answered) must change and read nothing; a local token guards /v1 (local-token.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, bed } from "./helpers.js";

type Res = { statusCode: number; json: () => unknown };
const refused = (r: Res, status: number, code: string, message: RegExp) => {
  expect(r.statusCode).toBe(status);
  const body = r.json() as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(message);
};

describe("a gateway without access, seen from a browser", () => {
  let b: Bed;
  const TOKEN = "A".repeat(43);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const version = async () =>
    ((await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/API_KEY", headers: auth })).json() as { version: number }).version;

  beforeAll(async () => {
    b = await bed({ access: false, server: { allowedHosts: ["vault.internal"], localToken: { token: TOKEN, file: "/data/gateway.token" } } });
    const put = await b.app.inject({ method: "PUT", url: "/v1/tenants/globex/secrets/API_KEY", headers: { ...auth, ...JSON_TYPE }, payload: { value: "v1" } });
    expect(put.statusCode).toBe(200);
  });
  afterAll(async () => {
    await b.close();
  });

  it("refuses a cross-site POST …/rotate with no body: text/plain, a form, or no content type at all", async () => {
    for (const headers of [{}, { "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }]) {
      const r = await b.app.inject({ method: "POST", url: "/v1/tenants/globex/secrets/API_KEY/rotate", headers: { ...auth, ...headers } });
      refused(r, 415, "INVALID_INPUT", /^POST requests must be sent with Content-Type: application\/json/);
    }
    expect(await version()).toBe(1);
  });

  it("refuses requests another origin sends, even with a JSON content type, and keeps same-origin ones", async () => {
    const url = "/v1/tenants/globex/secrets/API_KEY/rotate";
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ origin: "https://evil.example" }, /^cross-origin requests are refused \(the request's Origin is another site\)$/],
      [{ origin: "null" }, /Origin is opaque/],
      [{ "sec-fetch-site": "cross-site" }, /Sec-Fetch-Site is cross-site/],
      [{ "sec-fetch-site": "same-site" }, /Sec-Fetch-Site is same-site/],
      [{ origin: "http://127.0.0.1:9999", host: "127.0.0.1:8700" }, /another site/],
    ];
    for (const [headers, message] of cases) {
      refused(await b.app.inject({ method: "POST", url, headers: { ...auth, ...JSON_TYPE, ...headers } }), 403, "ACCESS_DENIED", message);
      // Reads too: a rebinding or cross-site page must not get a value either.
      refused(
        await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/API_KEY", headers: { ...auth, ...headers } }),
        403,
        "ACCESS_DENIED",
        message,
      );
    }
    expect(await version()).toBe(1);
    const same = await b.app.inject({
      method: "POST",
      url,
      headers: { ...auth, ...JSON_TYPE, host: "127.0.0.1:8700", origin: "http://127.0.0.1:8700", "sec-fetch-site": "same-origin" },
    });
    expect(same.statusCode).toBe(200);
    expect(await version()).toBe(2);
    // A link followed to the status page is a navigation: allowed, it reads and changes nothing.
    const nav = await b.app.inject({ method: "GET", url: "/", headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" } });
    expect(nav.statusCode).toBe(200);
  });

  it("answers only Host names that cannot be rebound: IP literals, localhost, configured names", async () => {
    const get = (host: string) => b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/API_KEY", headers: { ...auth, host } });
    for (const host of ["evil.example", "evil.example:8700", "127.0.0.1.nip.io", "localhost.evil.example", "vault.internal.evil", "a b"]) {
      const r = await get(host);
      expect(r.statusCode, host).toBe(403);
      refused(r, 403, "ACCESS_DENIED", /^the Host header names a host this gateway does not answer to \(a DNS-rebinding guard\)/);
      expect(JSON.stringify(r.json())).not.toContain("v1");
    }
    for (const host of ["127.0.0.1:8700", "127.0.0.1", "[::1]:8700", "localhost:8700", "LOCALHOST", "10.1.2.3", "vault.internal", "Vault.Internal.:443"])
      expect((await get(host)).statusCode, host).toBe(200);
    // Unauthenticated pages too: the status page and metrics name tenants and providers.
    for (const url of ["/", "/metrics", "/health/secrets"])
      refused(await b.app.inject({ method: "GET", url, headers: { host: "evil.example" } }), 403, "ACCESS_DENIED", /DNS-rebinding/);
  });

  it("needs the local token on /v1 (not on /health), compared whole", async () => {
    const url = "/v1/tenants/globex/secrets/API_KEY";
    refused(
      await b.app.inject({ method: "GET", url }),
      401,
      "UNAUTHORIZED",
      /^this gateway runs without `access` and needs its local token: .*\/data\/gateway\.token$/,
    );
    for (const token of ["A".repeat(42), "A".repeat(44), "B".repeat(43), `${TOKEN} x`])
      refused(await b.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } }), 401, "UNAUTHORIZED", /local token/);
    expect((await b.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("answers a too-long path in the error shape, without echoing the URL", async () => {
    const long = `/v1/tenants/globex/secrets/${"x".repeat(1100)}`;
    const r = await b.app.inject({ method: "GET", url: long, headers: auth });
    refused(r, 414, "INVALID_INPUT", /^a path segment is longer than 1024 characters$/);
    expect(r.body).not.toContain("xxxxxxxx");
  });
});
