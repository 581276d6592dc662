/** The secret routes, happy paths: every verb, %2F names, base64 values, labels, versions, rotation. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed, seg, JSON_TYPE } from "./helpers.js";

describe("secret routes", () => {
  let b: Bed;
  const admin = bearer(TOKENS.admin);
  beforeAll(async () => {
    b = await bed();
  });
  afterAll(async () => {
    await b.close();
  });

  it("PUT then GET a UTF-8 value, with served-by and stale in the body and the headers", async () => {
    const put = await b.app.inject({
      method: "PUT",
      url: "/v1/tenants/acme/secrets/API_KEY",
      headers: admin,
      payload: { value: "k-éè-1", labels: { team: "auth" } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ tenant: "acme", name: "API_KEY", version: 1 });
    const get = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/API_KEY", headers: admin });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toMatchObject({
      tenant: "acme",
      name: "API_KEY",
      version: 1,
      value: "k-éè-1",
      servedBy: "primary",
      stale: false,
      labels: { team: "auth" },
    });
    expect(get.json().valueBase64).toBeUndefined();
    expect(get.headers["x-polyvault-served-by"]).toBe("primary");
    expect(get.headers["x-polyvault-stale"]).toBe("false");
    expect(get.headers["cache-control"]).toBe("no-store");
  });

  it("a name with '/' travels as %2F and arrives as one name", async () => {
    const put = await b.app.inject({
      method: "PUT",
      url: `/v1/tenants/acme/secrets/${seg("db/primary/url")}`,
      headers: admin,
      payload: { value: "postgres://x" },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().name).toBe("db/primary/url");
    const get = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Fprimary%2Furl", headers: admin });
    expect(get.json()).toMatchObject({ name: "db/primary/url", value: "postgres://x" });
    // lowercase %2f is the same name
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2fprimary%2furl", headers: admin })).json().name).toBe("db/primary/url");
    const list = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets", headers: admin });
    expect(list.json().secrets.map((s: { name: string }) => s.name)).toContain("db/primary/url");
  });

  it("bytes that are not UTF-8 round-trip through valueBase64", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41]);
    const put = await b.app.inject({
      method: "PUT",
      url: "/v1/tenants/acme/secrets/BINARY",
      headers: admin,
      payload: { valueBase64: bytes.toString("base64") },
    });
    expect(put.statusCode).toBe(200);
    const got = (await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/BINARY", headers: admin })).json();
    expect(got.value).toBeUndefined();
    expect(Buffer.from(got.valueBase64, "base64")).toEqual(bytes);
  });

  it("lists names and metadata, never values", async () => {
    const r = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets", headers: admin });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.tenant).toBe("acme");
    const api = body.secrets.find((s: { name: string }) => s.name === "API_KEY");
    expect(api).toMatchObject({ name: "API_KEY", version: 1, managed: true, labels: { team: "auth" }, keyVersion: 1 });
    expect(r.body).not.toContain("k-éè-1");
  });

  it("rotates with a given value, then with a generated one, keeping labels; versions and ?version= read old ones", async () => {
    const given = await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/API_KEY/rotate", headers: admin, payload: { value: "k-2" } });
    expect(given.json()).toEqual({ tenant: "acme", name: "API_KEY", version: 2 });
    const generated = await b.app.inject({
      method: "POST",
      url: "/v1/tenants/acme/secrets/API_KEY/rotate",
      headers: admin,
      payload: { length: 40, alphabet: "hex" },
    });
    expect(generated.json().version).toBe(3);
    const v3 = (await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/API_KEY", headers: admin })).json();
    expect(v3.value).toMatch(/^[0-9a-f]{40}$/);
    expect(v3.labels).toEqual({ team: "auth" });
    // no body at all: a generated value of the default length
    const bare = await b.app.inject({ method: "POST", url: "/v1/tenants/acme/secrets/API_KEY/rotate", headers: { ...admin, ...JSON_TYPE } });
    expect(bare.json().version).toBe(4);
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/API_KEY", headers: admin })).json().value).toMatch(/^[A-Za-z0-9]{32}$/);
    const old = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/API_KEY?version=2", headers: admin });
    expect(old.json()).toMatchObject({ version: 2, value: "k-2" });
    const versions = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/API_KEY/versions", headers: admin });
    expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1]);
    expect(versions.json().versions[0]).toMatchObject({ current: true, keyVersion: 1 });
  });

  it("deletes softly, then purges; a deleted secret is 404", async () => {
    await b.app.inject({ method: "PUT", url: "/v1/tenants/globex/secrets/TEMP", headers: admin, payload: { value: "t" } });
    const del = await b.app.inject({ method: "DELETE", url: "/v1/tenants/globex/secrets/TEMP", headers: { ...admin, ...JSON_TYPE } });
    expect(del.json()).toEqual({ tenant: "globex", name: "TEMP", deleted: true, purged: false });
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/TEMP", headers: admin })).statusCode).toBe(404);
    await b.app.inject({ method: "PUT", url: "/v1/tenants/globex/secrets/TEMP2", headers: admin, payload: { value: "t" } });
    const purge = await b.app.inject({ method: "DELETE", url: "/v1/tenants/globex/secrets/TEMP2?purge=true", headers: { ...admin, ...JSON_TYPE } });
    expect(purge.json()).toEqual({ tenant: "globex", name: "TEMP2", deleted: true, purged: true });
    const list = (await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets", headers: admin })).json();
    expect(list.secrets.map((s: { name: string }) => s.name)).not.toContain("TEMP2");
  });

  it("a write is pushed to the tenant's mirror (push-on-write runs inside the gateway)", async () => {
    await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/PUSHED", headers: admin, payload: { value: "p" } });
    await b.app.gateway.scopes.flushPushes();
    expect(b.app.gateway.scopes.pushErrors).toEqual([]);
    const heads = [];
    for await (const h of (await import("@polyvault/core")).listAll(b.rt.provider("mirror"), "acme" as never)) heads.push(h.name);
    expect(heads).toContain("PUSHED");
    expect(b.app.gateway.activity.runs.some((r) => r.source === "push" && r.route === "acme-mirror" && r.ok)).toBe(true);
  });

  it("every answer carries a request id, and a caller's X-Request-Id is kept", async () => {
    const r = await b.app.inject({ method: "GET", url: "/health", headers: { "x-request-id": "caller-req-12345" } });
    expect(r.headers["x-request-id"]).toBe("caller-req-12345");
    const odd = await b.app.inject({ method: "GET", url: "/health", headers: { "x-request-id": "bad id with spaces" } });
    expect(odd.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
