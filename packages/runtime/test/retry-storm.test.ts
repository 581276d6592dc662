/**
 * One retry layer (core's engine): a 503 storm costs each provider operation exactly `retries + 1`
 * attempts of each request — the configured number, for every provider built through the registry — a failover read
 * one attempt, and a sync apply no more than its first provider call's attempts (the applier does not
 * retry on top). A loopback server answers every request with the service's own 503 format; the
 * provider servers never do that on demand.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Provider, RETRY_DEFAULTS, UnavailableError, initMasterKey, parseTenantId } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnyProviderConfig, Runtime, createProvider } from "../src/index.js";

type Kind = "aws" | "azure" | "vault";
const tenant = parseTenantId("storm");

/** Each service's 503, as it sends it. */
const STORM: Record<Kind, { type: string; body: unknown }> = {
  aws: { type: "application/x-amz-json-1.1", body: { __type: "ServiceUnavailable", message: "Service is unavailable" } },
  azure: { type: "application/json", body: { error: { code: "ServiceUnavailable", message: "The service is unavailable" } } },
  vault: { type: "application/json", body: { errors: ["Vault is sealed"] } },
};

interface Storm {
  readonly url: string;
  requests: number;
  /** Requests by kind (the AWS action, or method and path): the attempts of each request a call sent. */
  readonly byKind: Map<string, number>;
  close(): Promise<void>;
}

let tls: { key: Buffer; cert: Buffer } | undefined;
const dir = mkdtempSync(join(tmpdir(), "pv-storm-"));

async function storm(kind: Kind): Promise<Storm> {
  const s = { requests: 0, byKind: new Map<string, number>() } as Storm & { requests: number };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    s.requests++;
    const request = String(req.headers["x-amz-target"] ?? `${req.method} ${req.url?.split("?")[0]}`);
    s.byKind.set(request, (s.byKind.get(request) ?? 0) + 1);
    res.writeHead(503, { "content-type": STORM[kind].type });
    res.end(JSON.stringify(STORM[kind].body));
  };
  const server: Server = kind === "azure" ? createHttpsServer(tls ?? {}, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(s, {
    url: `${kind === "azure" ? "https" : "http"}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  });
}

function config(kind: Kind, url: string, retries: number | undefined): AnyProviderConfig {
  const common = { timeoutMs: 30_000, ...(retries === undefined ? {} : { retries }) };
  if (kind === "aws") return { type: "aws", region: "us-east-1", endpoint: url, credentials: { accessKeyId: "t", secretAccessKey: "t" }, ...common };
  if (kind === "vault") return { type: "vault", address: url, token: "t", ...common };
  return {
    type: "azure",
    vaultUrl: url,
    credential: { kind: "static", token: "t" },
    tls: { rejectUnauthorized: false },
    disableChallengeResourceVerification: true,
    ...common,
  } as AnyProviderConfig;
}

const operations: Record<string, (p: Provider) => Promise<unknown>> = {
  list: (p) => p.list(tenant),
  head: (p) => p.head(tenant, "db/url"),
  get: (p) => p.get(tenant, "db/url"),
  put: (p) => p.put(tenant, "db/url", Buffer.from("ciphertext"), { metadata: { "pv-digest": "x" } }),
  delete: (p) => p.delete(tenant, "db/url"),
};

/**
 * The attempts of each request one call sent (a call may send a few in parallel, e.g. AWS get's
 * DescribeSecret and GetSecretValue); the call must fail with UnavailableError.
 */
async function attempts(s: Storm, call: () => Promise<unknown>): Promise<number[]> {
  s.byKind.clear();
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnavailableError);
  return [...new Set(s.byKind.values())];
}

beforeAll(() => {
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]),
    { stdio: "ignore" },
  );
  tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(["aws", "vault", "azure"] as const)("a 503 storm at the %s provider", (kind) => {
  let s: Storm;
  beforeAll(async () => {
    s = await storm(kind);
  });
  afterAll(() => s.close());

  it.each([0, 2])("costs each operation retries + 1 requests (retries: %i)", async (retries) => {
    const p = await createProvider(kind, config(kind, s.url, retries), dir);
    try {
      const seen: Record<string, number[]> = {};
      for (const [op, call] of Object.entries(operations)) seen[op] = await attempts(s, () => call(p));
      expect(seen).toEqual(Object.fromEntries(Object.keys(operations).map((op) => [op, [retries + 1]])));
    } finally {
      await p.close();
    }
  });

  it(`costs ${RETRY_DEFAULTS.retries + 1} requests per operation when retries is not configured`, async () => {
    const p = await createProvider(kind, config(kind, s.url, undefined), dir);
    try {
      expect(await attempts(s, () => p.head(tenant, "db/url"))).toEqual([RETRY_DEFAULTS.retries + 1]);
    } finally {
      await p.close();
    }
  });

  it("costs a failover read one attempt per request, then the mirror answers", async () => {
    const data = join(dir, `failover-${kind}`);
    (await initMasterKey(data)).key.fill(0);
    const local = { type: "file" as const };
    const seed = { type: "file" as const, dir: join(data, "seed") };
    // The mirror's copy must be vouched for by a sync record (a failover read never trusts a copy no
    // route wrote): a route from a seed store fills the mirror first.
    const routes = { fill: { source: "seed", targets: ["local"], tenants: ["storm"] } };
    const writer = await Runtime.open({
      dataDir: data,
      config: { providers: { local, seed }, tenants: { storm: { primary: "seed", mirrors: ["local"] } }, routes },
      env: {},
      pushOnWrite: false,
    });
    await writer.manager(tenant).set("db/url", "postgres://mirror");
    const [filled] = await (await writer.sync()).apply({ route: "fill" });
    expect(filled?.result?.counts.created).toBe(1);
    await writer.close();
    const rt = await Runtime.open({
      dataDir: data,
      config: {
        providers: { local, seed, primary: config(kind, s.url, 2) as never },
        tenants: { storm: { primary: "primary", mirrors: ["local"] } },
        routes,
      },
      env: {},
      pushOnWrite: false,
    });
    try {
      s.byKind.clear();
      const v = await rt.manager(tenant).get("db/url");
      expect([v.servedBy, v.stale, v.text()]).toEqual(["local", true, "postgres://mirror"]);
      v.wipe();
      // One attempt of each request the read sent (AWS sends DescribeSecret and GetSecretValue at once).
      expect([...new Set(s.byKind.values())]).toEqual([1]);
    } finally {
      await rt.close();
    }
  });

  it("costs a sync apply its first call's retries + 1 requests: the applier does not retry on top", async () => {
    const data = join(dir, `sync-${kind}`);
    (await initMasterKey(data)).key.fill(0);
    // The keyring and the secret first, with the file store alone (a new keyring looks at every store).
    const writer = await Runtime.open({ dataDir: data, config: { providers: { local: { type: "file" } } }, env: {}, pushOnWrite: false });
    await writer.manager(tenant).set("db/url", "postgres://x");
    await writer.close();
    const rt = await Runtime.open({
      dataDir: data,
      config: {
        providers: { local: { type: "file" }, target: config(kind, s.url, 2) as never },
        routes: { out: { source: "local", targets: ["target"], tenants: ["storm"] } },
      },
      env: {},
      pushOnWrite: false,
    });
    try {
      const before = s.requests;
      const engine = await rt.sync();
      await engine.apply({ route: "out" }).catch(() => undefined);
      expect(s.requests - before).toBe(3);
    } finally {
      await rt.close();
    }
  });
});
