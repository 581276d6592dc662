/**
 * The Vault-compatible listener in process (the real `vault` CLI and node-vault are in
 * test/e2e/vault-compat.test.ts): Vault's KV v2 shapes for data, metadata, list and the mounts
 * preflight; the REST listener's principals, access rules (globs, list filtering), shared lockout and
 * audit; writes, sys paths and unknown paths refused in Vault's error shape and status, with nothing
 * changed; the Host/Origin checks; the local token without `access`; no value in logs or error bodies.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVaultServer } from "../src/index.js";
import { parseListHead } from "../src/vault-compat/list-method.js";
import { type Bed, JSON_TYPE, TOKENS, bearer, bed } from "./helpers.js";

const CANARY = "CANARY-vc-url-41d7e0";
const CANARY_OLD = "CANARY-vc-old-9b2c11";
const BINARY = Buffer.from([0xff, 0x00, 0xfe, 0x43, 0x41]);
const vt = (token: string) => ({ "x-vault-token": token });
const DENIED = "permission denied";

interface Rec {
  type: string;
  actor: string;
  action: string;
  outcome: string;
  name?: string;
  requestId?: string;
}

describe("Vault KV v2 reads on their own listener (access configured)", () => {
  let b: Bed;
  let vault: FastifyInstance;
  const logs: string[] = [];
  const errorBodies: string[] = [];
  const send = async (req: InjectOptions) => {
    const r = await vault.inject(req);
    if (r.statusCode >= 400) errorBodies.push(r.body);
    return r;
  };
  const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
    send({ method: "GET", url, headers: { ...(token ? vt(token) : {}), ...headers } });
  const records = () =>
    readFileSync(join(b.dir, "data", "audit.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Rec)
      .filter((r) => r.type === "record");

  beforeAll(async () => {
    b = await bed();
    const put = (name: string, body: object) =>
      b.app.inject({
        method: "PUT",
        url: `/v1/tenants/acme/secrets/${encodeURIComponent(name)}`,
        headers: { ...bearer(TOKENS.admin), ...JSON_TYPE },
        payload: body,
      });
    expect((await put("db/url", { value: CANARY_OLD })).statusCode).toBe(200);
    expect((await put("db/url", { value: CANARY, labels: { team: "core" } })).statusCode).toBe(200);
    expect((await put("db/blob", { valueBase64: BINARY.toString("base64") })).statusCode).toBe(200);
    expect((await put("DATABASE_URL", { value: "plain" })).statusCode).toBe(200);
    expect((await put("apps/web/key", { value: "k" })).statusCode).toBe(200);
    vault = await createVaultServer(b.app.gateway, { logger: { level: "debug", stream: { write: (s: string) => void logs.push(s) } } });
  });
  afterAll(async () => {
    await vault.close();
    await b.close();
  });

  it("answers the mounts preflight with the tenant as a KV v2 mount", async () => {
    const r = await get("/v1/sys/internal/ui/mounts/acme/db/url", TOKENS.reader);
    expect(r.statusCode).toBe(200);
    expect(r.json().data).toMatchObject({ path: "acme/", type: "kv", options: { version: "2" } });
    const anon = await get("/v1/sys/internal/ui/mounts/acme");
    expect([anon.statusCode, anon.json().errors[0]]).toEqual([
      403,
      `2 errors occurred:\n\t* ${DENIED}\n\t* no token: send a Polyvault token as X-Vault-Token (VAULT_TOKEN)\n\n`,
    ]);
    for (const bad of ["sys", "Acme", "a..b"]) expect((await get(`/v1/sys/internal/ui/mounts/${bad}/x`, TOKENS.admin)).statusCode).toBe(403);
  });

  it("reads a value in KV v2's shape: one key `value`, labels as custom_metadata, the revision as version", async () => {
    const r = await get("/v1/acme/data/db/url", TOKENS.reader);
    expect(r.statusCode).toBe(200);
    expect(r.headers["cache-control"]).toBe("no-store");
    const body = r.json();
    expect(body).toMatchObject({ request_id: r.headers["x-request-id"], lease_id: "", renewable: false, lease_duration: 0, mount_type: "kv", warnings: null });
    expect(body.data.data).toEqual({ value: CANARY });
    expect(body.data.metadata).toMatchObject({ version: 2, deletion_time: "", destroyed: false, custom_metadata: { team: "core" } });
    expect(Number.isNaN(Date.parse(body.data.metadata.created_time))).toBe(false);
    const old = await get("/v1/acme/data/db/url?version=1", TOKENS.reader);
    expect([old.json().data.data, old.json().data.metadata.version, old.json().data.metadata.custom_metadata]).toEqual([{ value: CANARY_OLD }, 1, null]);
    expect((await get("/v1/acme/data/db/url?version=0", TOKENS.reader)).json().data.metadata.version).toBe(2);
  });

  it("gives bytes that are not UTF-8 as value_base64", async () => {
    const r = await get("/v1/acme/data/db/blob", TOKENS.admin);
    expect(r.json().data.data).toEqual({ value_base64: BINARY.toString("base64") });
  });

  it("answers metadata with every version, current and oldest version and labels", async () => {
    const r = await get("/v1/acme/metadata/db/url", TOKENS.reader);
    expect(r.statusCode).toBe(200);
    const d = r.json().data;
    expect(d).toMatchObject({ current_version: 2, oldest_version: 1, custom_metadata: { team: "core" }, max_versions: 0, cas_required: false });
    expect(Object.keys(d.versions)).toEqual(["1", "2"]);
    expect(d.versions["2"]).toMatchObject({ deletion_time: "", destroyed: false });
    expect(d.updated_time).toBe(d.versions["2"].created_time);
    expect(d.created_time).toBe(d.versions["1"].created_time);
  });

  it("lists one folder level, folders ending in '/', with GET ?list=true and only the names the caller may see", async () => {
    expect((await get("/v1/acme/metadata/?list=true", TOKENS.admin)).json().data.keys).toEqual(["DATABASE_URL", "apps/", "db/"]);
    expect((await get("/v1/acme/metadata?list=1", TOKENS.admin)).json().data.keys).toEqual(["DATABASE_URL", "apps/", "db/"]);
    expect((await get("/v1/acme/metadata/apps?list=true", TOKENS.admin)).json().data.keys).toEqual(["web/"]);
    expect((await get("/v1/acme/metadata/db/?list=true", TOKENS.reader)).json().data.keys).toEqual(["blob", "url"]);
    // The reader's glob is db/*: the root shows only db/.
    expect((await get("/v1/acme/metadata?list=true", TOKENS.reader)).json().data.keys).toEqual(["db/"]);
    const empty = await get("/v1/acme/metadata/nothing/?list=true", TOKENS.admin);
    expect([empty.statusCode, empty.json()]).toEqual([404, { errors: [] }]);
  });

  it("answers a missing secret as Vault does: 404 with no error text", async () => {
    const r = await get("/v1/acme/data/db/missing", TOKENS.admin);
    expect([r.statusCode, r.json()]).toEqual([404, { errors: [] }]);
    expect((await get("/v1/acme/metadata/db/missing", TOKENS.admin)).statusCode).toBe(404);
  });

  it("refuses a name outside the caller's rights with 403 permission denied, audited under the request id", async () => {
    const r = await get("/v1/acme/data/DATABASE_URL", TOKENS.reader, { "x-request-id": "vault-denied-req-0001" });
    expect(r.statusCode).toBe(403);
    expect(r.json().errors[0]).toMatch(/^2 errors occurred:\n\t\* permission denied\n/);
    const rec = records().find((x) => x.requestId === "vault-denied-req-0001");
    expect(rec).toMatchObject({ actor: "reader", action: "read", name: "DATABASE_URL", outcome: "denied" });
    // An operator may list but never read a value.
    expect((await get("/v1/acme/data/db/url", TOKENS.operator)).statusCode).toBe(403);
    expect((await get("/v1/acme/data/db/url", "not-a-token")).statusCode).toBe(403);
  });

  it("audits every read with the caller and the request id", async () => {
    const r = await get("/v1/acme/data/db/url", TOKENS.admin, { "x-request-id": "vault-read-req-00002" });
    expect(r.statusCode).toBe(200);
    expect(records().find((x) => x.requestId === "vault-read-req-00002")).toMatchObject({ actor: "admin", action: "read", name: "db/url", outcome: "ok" });
  });

  it("takes the token as Authorization: Bearer too", async () => {
    expect((await get("/v1/acme/data/db/url", undefined, bearer(TOKENS.reader))).json().data.data).toEqual({ value: CANARY });
  });

  it("refuses writes with 405 and changes nothing", async () => {
    for (const [method, url] of [
      ["POST", "/v1/acme/data/db/url"],
      ["PUT", "/v1/acme/data/db/url"],
      ["PATCH", "/v1/acme/data/db/url"],
      ["DELETE", "/v1/acme/data/db/url"],
      ["DELETE", "/v1/acme/metadata/db/url"],
      ["POST", "/v1/acme/destroy/db/url"],
      ["POST", "/v1/sys/mounts/acme"],
    ] as const) {
      const r = await send({ method, url, headers: { ...vt(TOKENS.admin), ...JSON_TYPE }, payload: { data: { value: "overwritten" } } });
      expect([method, url, r.statusCode, r.json().errors[0]]).toEqual([method, url, 405, expect.stringContaining("unsupported operation")]);
    }
    const after = await get("/v1/acme/data/db/url", TOKENS.admin);
    expect([after.json().data.data.value, after.json().data.metadata.version]).toEqual([CANARY, 2]);
  });

  it("refuses other KV endpoints (405), sys paths (403) and unknown paths (404) in Vault's error shape", async () => {
    expect((await get("/v1/acme/config", TOKENS.admin)).statusCode).toBe(405);
    expect((await get("/v1/acme/subkeys/db/url", TOKENS.admin)).statusCode).toBe(405);
    for (const url of ["/v1/sys/mounts", "/v1/sys/internal/ui/mounts", "/v1/auth/token/lookup-self", "/v1/cubbyhole/x"]) {
      const r = await get(url, TOKENS.admin);
      expect([url, r.statusCode, r.json().errors[0]]).toEqual([url, 403, expect.stringContaining(DENIED)]);
    }
    for (const url of ["/v1/Acme/data/x", "/v1/acme/nothing/x", "/v1/acme", "/health", "/"]) {
      const r = await get(url, TOKENS.admin);
      expect([url, r.statusCode, Array.isArray(r.json().errors)]).toEqual([url, 404, true]);
    }
  });

  it("refuses bad input with 400 invalid …", async () => {
    for (const url of [
      "/v1/acme/data/db/url?version=abc",
      "/v1/acme/data/db/url?version=-1",
      "/v1/acme/data/a%20b",
      "/v1/acme/data/%2Fa",
      "/v1/acme/data/%E0%A4%A",
      "/v1/acme/data/",
    ]) {
      const r = await get(url, TOKENS.admin);
      expect([url, r.statusCode, r.json().errors[0]]).toEqual([url, 400, expect.stringMatching(/^invalid /)]);
    }
  });

  it("applies the REST listener's Host and Origin checks", async () => {
    const host = await get("/v1/acme/data/db/url", TOKENS.admin, { host: "evil.example" });
    expect([host.statusCode, host.json().errors[0]]).toEqual([403, expect.stringContaining("DNS-rebinding")]);
    const origin = await get("/v1/acme/data/db/url", TOKENS.admin, { origin: "https://evil.example" });
    expect([origin.statusCode, origin.json().errors[0]]).toEqual([403, expect.stringContaining("cross-origin")]);
    const site = await get("/v1/acme/data/db/url", TOKENS.admin, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" });
    expect(site.statusCode).toBe(403);
  });

  it("shares the REST listener's lockout: denials on either listener lock the principal out of both", async () => {
    // `locked` may read globex only; three denials (lockout maxFailures 3) lock it out.
    await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: bearer(TOKENS.locked) });
    expect((await get("/v1/acme/data/db/url", TOKENS.locked)).statusCode).toBe(403);
    expect((await get("/v1/acme/data/db/url", TOKENS.locked)).statusCode).toBe(403);
    const locked = await get("/v1/globex/data/anything", TOKENS.locked);
    expect([locked.statusCode, locked.json().errors[0]]).toEqual([403, expect.stringMatching(/permission denied[\s\S]*locked/)]);
    const rest = await b.app.inject({ method: "GET", url: "/v1/tenants/globex/secrets/anything", headers: bearer(TOKENS.locked) });
    expect(rest.statusCode).toBe(403);
  });

  it("serves a read from the mirror when the primary is down, with a warning and the served-by headers", async () => {
    await b.app.gateway.scopes.flushPushes();
    b.breakPrimary();
    const r = await get("/v1/acme/data/db/url", TOKENS.admin);
    expect(r.statusCode).toBe(200);
    expect(r.json().data.data).toEqual({ value: CANARY });
    expect(r.json().warnings).toEqual(["served by mirror mirror because the tenant's primary is unavailable: it may be stale"]);
    expect([r.headers["x-polyvault-served-by"], r.headers["x-polyvault-stale"]]).toEqual(["mirror", "true"]);
    // A list needs the primary: 503 in Vault's shape.
    const list = await get("/v1/acme/metadata?list=true", TOKENS.admin);
    expect([list.statusCode, Array.isArray(list.json().errors)]).toEqual([503, true]);
  });

  it("writes no value in its log lines or error bodies", () => {
    const text = [...logs, ...errorBodies].join("\n");
    expect(logs.length).toBeGreaterThan(10);
    for (const needle of [CANARY, CANARY_OLD, Buffer.from(CANARY).toString("base64"), TOKENS.admin, TOKENS.reader]) expect(text).not.toContain(needle);
  });
});

describe("Vault listener without `access`: the REST listener's local-token rule", () => {
  const TOKEN = "vcLocalTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  let b: Bed;
  let vault: FastifyInstance;
  beforeAll(async () => {
    b = await bed({ access: false });
    await b.app.gateway.scopes.manager("acme", { principal: "local-operator", requestId: "seed-0001" }).set("k", "v");
    vault = await createVaultServer(b.app.gateway, { logger: false, localToken: { token: TOKEN, file: "/data/gateway.token" } });
  });
  afterAll(async () => {
    await vault.close();
    await b.close();
  });

  it("answers the local token, as the local operator, and refuses any other with 403 permission denied", async () => {
    expect((await vault.inject({ method: "GET", url: "/v1/acme/data/k", headers: vt(TOKEN) })).json().data.data).toEqual({ value: "v" });
    for (const headers of [{}, vt("wrong"), bearer("wrong")]) {
      const r = await vault.inject({ method: "GET", url: "/v1/acme/data/k", headers });
      expect([r.statusCode, r.json().errors[0]]).toEqual([403, expect.stringContaining(DENIED)]);
      expect(r.body).not.toContain('"v"');
    }
  });
});

describe("Vault listener rate limit", () => {
  it("limits per token (an unknown token per client address) and answers 429 in Vault's shape", async () => {
    const b = await bed();
    const vault = await createVaultServer(b.app.gateway, { logger: false, rateLimitPerMinute: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await vault.inject({ method: "GET", url: "/v1/acme/data/none", headers: vt(TOKENS.admin) })).statusCode);
      expect(statuses).toEqual([404, 404, 429]);
      const limited = await vault.inject({ method: "GET", url: "/v1/acme/data/none", headers: vt(TOKENS.admin) });
      expect(limited.json()).toEqual({ errors: [expect.stringMatching(/^rate limit of 2 requests per minute exceeded/)] });
      // Another principal has its own budget.
      expect((await vault.inject({ method: "GET", url: "/v1/acme/data/none", headers: vt(TOKENS.writer) })).statusCode).toBe(404);
    } finally {
      await vault.close();
      await b.close();
    }
  });
});

describe("the LIST method's head, replayed as GET ?list=true", () => {
  const head = (s: string) => parseListHead(Buffer.from(s, "latin1"));
  it("takes a complete LIST head with no body", () => {
    expect(head("LIST /v1/acme/metadata/db HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: t\r\n\r\n")).toEqual({
      url: "/v1/acme/metadata/db?list=true",
      headers: { host: "127.0.0.1", "x-vault-token": "t" },
    });
    expect(head("LIST /v1/acme/metadata?x=1 HTTP/1.0\r\nHost: h\r\nContent-Length: 0\r\n\r\n")?.url).toBe("/v1/acme/metadata?x=1&list=true");
  });
  it("refuses a body, a partial or pipelined head, a duplicate header and a malformed line", () => {
    for (const s of [
      "LIST /v1/a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
      "LIST /v1/a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      "LIST /v1/a HTTP/1.1\r\nHost: h\r\n",
      "LIST /v1/a HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\n\r\n",
      "LIST /v1/a HTTP/1.1\r\nHost: h\r\nHost: evil\r\n\r\n",
      "LIST /v1/a HTTP/1.1\r\nbad header\r\n\r\n",
      "LIST v1/a HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /v1/a HTTP/1.1\r\nHost: h\r\n\r\n",
    ])
      expect(head(s)).toBeUndefined();
  });
});
