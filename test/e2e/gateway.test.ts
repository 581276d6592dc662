/**
 * Issue acceptance for the HTTP gateway: `polyvault serve` as its own process, with tenant acme's
 * primary on the real AWS server (moto) and its mirrors on the real Vault and Azure (the project's
 * test Key Vault). The primary is reached through a TCP relay this test owns, so "the primary's server
 * stopped" is the relay closing, not the shared emulator. Set, get, list, rotate, delete as permitted
 * principals; 401 and 403; 400 for bad tenants and names; /metrics counters move; failover with
 * stale: true; SIGTERM exits 0 with a sealed audit log; no canary value in any output.
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli as runCli, sandbox, start } from "../harness/cli.js";
import { takeLockWhenFree } from "../harness/locks.js";

const AWS = new URL(process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566");
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const AZURE = process.env.POLYVAULT_TEST_AZURE_URL ?? "https://localhost:8443";
const run = `gw${Date.now().toString(36)}`;
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const TOKENS = { admin: `adm-${run}-token`, writer: `wri-${run}-token`, reader: `rea-${run}-token`, operator: `ope-${run}-token` };
const CANARIES = [`CANARY-gw-set-${run}`, `CANARY-gw-rotate-${run}`, `CANARY-gw-denied-${run}`];

/** A TCP relay to the AWS server: closing it is the primary going down, for this test only. */
class Relay {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(Number(AWS.port || 80), AWS.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.#server?.listen(0, "127.0.0.1", r));
    this.port = (this.#server.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}

function config(relayPort: number): string {
  const mirrors = "[vault, azure]";
  return `
providers:
  aws: { type: aws, region: us-east-1, endpoint: "http://127.0.0.1:${relayPort}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "${run}", timeoutMs: 3000 }
  vault: { type: vault, address: "${VAULT}", token: "${VAULT_TOKEN}", prefix: "${run}" }
  azure: { type: azure, vaultUrl: "${AZURE}", credential: { kind: static, token: dummy }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, prefix: "${run}" }
tenants:
  acme: { primary: aws, mirrors: ${mirrors} }
routes:
  acme-mirror: { source: aws, targets: ${mirrors}, tenants: [acme] }
access:
  principals:
    admin:    { tokenSha256: "${sha(TOKENS.admin)}", roles: [{ role: admin, tenants: ["*"] }] }
    writer:   { tokenSha256: "${sha(TOKENS.writer)}", roles: [{ role: writer, tenants: [acme] }] }
    reader:   { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [acme], secrets: ["db/*"] }] }
    operator: { tokenSha256: "${sha(TOKENS.operator)}", roles: [{ role: operator, tenants: ["*"] }] }
  lockout: { maxFailures: 50, windowSeconds: 300, lockSeconds: 60 }
`;
}

describe("polyvault serve on the real servers (aws primary; vault, azure mirrors)", () => {
  const sb = sandbox({ prefix: "e2e-gw" });
  const { cwd } = sb;
  const relay = new Relay();
  let server: ChildProcess;
  let url = "";
  let stdout = "";
  let stderr = "";
  const bodies: string[] = [];

  const http = async (method: string, path: string, token?: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === "GET" ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (r.status >= 400 || !path.startsWith("/v1/tenants/acme/secrets/") || method !== "GET") bodies.push(text);
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };
  const metric = (text: string, line: string) =>
    Number(
      text
        .split("\n")
        .find((l) => l.startsWith(`${line} `))
        ?.slice(line.length + 1) ?? 0,
    );
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(sb, args, undefined, extra);

  beforeAll(async () => {
    await relay.start();
    writeFileSync(join(cwd, "polyvault.yaml"), config(relay.port));
    expect(cli(["init"]).code).toBe(0);
    server = start(sb, ["serve", "--port", "0"], { POLYVAULT_TOKEN: TOKENS.admin });
    server.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    server.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/listening on (http:\/\/\S+)/.test(stdout)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`polyvault serve did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    url = (/listening on (http:\/\/\S+)/.exec(stdout) as RegExpExecArray)[1] as string;
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    await relay.stop();
  });

  it("401 without a token or with an unknown one", async () => {
    const none = await http("GET", "/v1/tenants/acme/secrets");
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({ error: { code: "UNAUTHORIZED", message: "access control is on: send 'Authorization: Bearer <token>'" } });
    expect((await http("GET", "/v1/tenants/acme/secrets", "wrong-token")).status).toBe(401);
  });

  it("set, get, list, rotate and delete as permitted principals", async () => {
    const set = await http("PUT", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.writer, { value: CANARIES[0] });
    expect(set.status, set.text).toBe(200);
    expect(set.json()).toEqual({ tenant: "acme", name: "db/url", version: 1 });
    const apiKey = await http("PUT", "/v1/tenants/acme/secrets/API_KEY", TOKENS.writer, { value: "k1" });
    expect(apiKey.status, apiKey.text).toBe(200);
    const got = await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader);
    expect(got.json()).toMatchObject({ tenant: "acme", name: "db/url", version: 1, value: CANARIES[0], servedBy: "aws", stale: false });
    expect(got.headers.get("x-polyvault-served-by")).toBe("aws");
    const list = await http("GET", "/v1/tenants/acme/secrets", TOKENS.writer);
    expect(
      list
        .json()
        .secrets.map((s: { name: string }) => s.name)
        .sort(),
    ).toEqual(["API_KEY", "db/url"]);
    expect((await http("GET", "/v1/tenants/acme/secrets", TOKENS.reader)).json().secrets.map((s: { name: string }) => s.name)).toEqual(["db/url"]);
    const rotated = await http("POST", "/v1/tenants/acme/secrets/db%2Furl/rotate", TOKENS.writer, { value: CANARIES[1] });
    expect(rotated.json()).toEqual({ tenant: "acme", name: "db/url", version: 2 });
    expect((await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader)).json()).toMatchObject({ version: 2, value: CANARIES[1] });
    expect((await http("POST", "/v1/tenants/acme/secrets/API_KEY/rotate", TOKENS.writer)).json().version).toBe(2);
    const del = await http("DELETE", "/v1/tenants/acme/secrets/API_KEY", TOKENS.writer);
    expect(del.json()).toEqual({ tenant: "acme", name: "API_KEY", deleted: true, purged: false });
    expect((await http("GET", "/v1/tenants/acme/secrets/API_KEY", TOKENS.writer)).status).toBe(404);
  });

  it("403 for a role that lacks the right, and nothing changes", async () => {
    const write = await http("PUT", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader, { value: CANARIES[2] });
    expect(write.status).toBe(403);
    expect(write.json().error).toEqual({ code: "ACCESS_DENIED", message: "no role of principal reader grants write in tenant acme" });
    expect((await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.operator)).status).toBe(403);
    expect((await http("DELETE", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader)).status).toBe(403);
    expect((await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.writer)).json()).toMatchObject({ version: 2, value: CANARIES[1] });
  });

  it("400 for a bad tenant or name", async () => {
    const tenant = await http("GET", "/v1/tenants/ACME/secrets/db%2Furl", TOKENS.admin);
    expect(tenant.status).toBe(400);
    expect(tenant.json().error.message).toMatch(/^params\.tenant: tenant id must be lowercase/);
    const name = await http("PUT", "/v1/tenants/acme/secrets/bad%20name", TOKENS.admin, { value: "x" });
    expect(name.status).toBe(400);
    expect(name.json().error.message).toMatch(/^params\.name: secret name may only contain/);
    expect((await http("GET", `/v1/tenants/acme/secrets/${encodeURIComponent("a/../b")}`, TOKENS.admin)).status).toBe(400);
    expect((await http("GET", "/v1/tenants/acme/secrets/db/url", TOKENS.admin)).json().error.message).toMatch(/send a '\/' inside a secret name as %2F/);
  });

  it("/metrics counters move", async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader);
    await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader);
    await http("GET", "/v1/tenants/acme/secrets/db%2Furl", "still-wrong");
    const after = await (await fetch(`${url}/metrics`)).text();
    expect(metric(after, 'polyvault_secret_access_total{tenant="acme"}') - metric(before, 'polyvault_secret_access_total{tenant="acme"}')).toBe(2);
    expect(metric(after, 'polyvault_failed_access_attempts_total{tenant="*"}') - metric(before, 'polyvault_failed_access_attempts_total{tenant="*"}')).toBe(1);
    expect(metric(after, 'polyvault_provider_request_duration_seconds_count{provider="aws",operation="get",outcome="ok"}')).toBeGreaterThan(
      metric(before, 'polyvault_provider_request_duration_seconds_count{provider="aws",operation="get",outcome="ok"}'),
    );
    expect(metric(after, 'polyvault_provider_up{provider="aws"}')).toBe(1);
    expect(metric(after, 'polyvault_sync_runs_total{route="acme-mirror",source="push",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain("db/url");
  });

  it("with the primary's server stopped, /health/secrets shows it down and GET answers from a mirror with stale: true", async () => {
    // The mirrors hold the latest version once the pushes are done: the plan is all no-ops.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const plan = (await http("POST", "/v1/sync/plan", TOKENS.operator, { tenant: "acme" })).json();
      if (plan.summary.changes === 0 && plan.summary.noop > 0) break;
      if (Date.now() > deadline) throw new Error(`mirrors never caught up: ${JSON.stringify(plan.summary)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await relay.stop();
    let health = (await (await fetch(`${url}/health/secrets`)).json()) as { status: string; providers: Record<string, { up: boolean; breaker: string }> };
    const until = Date.now() + 15_000;
    while (health.providers.aws?.up !== false && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      health = (await (await fetch(`${url}/health/secrets`)).json()) as typeof health;
    }
    expect(health.status).toBe("degraded");
    expect(health.providers.aws?.up).toBe(false);
    expect(health.providers.vault?.up).toBe(true);
    // How long it takes is measured in bench/sync.mjs and reported by gateway-failover-network.test.ts.
    const got = await http("GET", "/v1/tenants/acme/secrets/db%2Furl", TOKENS.reader);
    expect(got.status, got.text).toBe(200);
    expect(got.json()).toMatchObject({ tenant: "acme", name: "db/url", version: 2, value: CANARIES[1], servedBy: "vault", stale: true });
    expect(got.headers.get("x-polyvault-stale")).toBe("true");
    expect(got.headers.get("x-polyvault-served-by")).toBe("vault");
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metric(metrics, 'polyvault_failover_reads_total{provider="vault"}')).toBeGreaterThanOrEqual(1);
    expect(metric(metrics, 'polyvault_provider_up{provider="aws"}')).toBe(0);
  }, 90_000);

  it("SIGTERM: drains, seals the audit log, exits 0; no canary in any log line, metric or error body", async () => {
    const exited = new Promise<number | null>((r) => server.once("exit", (code) => r(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    const verify = cli(["audit", "verify", "--json"], { POLYVAULT_TOKEN: TOKENS.admin });
    expect(verify.code, verify.out + verify.stderr).toBe(0);
    expect(JSON.parse(verify.out)).toMatchObject({ ok: true, unsignedTail: 0 });
    expect(stderr).toMatch(/"msg":"shutting down: draining requests, sealing the audit log"/);
    expect(bodies.length).toBeGreaterThan(10);
    for (const c of CANARIES) {
      expect(stderr).not.toContain(c);
      expect(stdout).not.toContain(c);
      for (const b of bodies) expect(b).not.toContain(c);
    }
    for (const t of Object.values(TOKENS)) expect(stderr).not.toContain(t);
  });

  it("bad serve flags are refused before anything starts", () => {
    const port = cli(["serve", "--port", "http"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('polyvault: INVALID_INPUT: --port must be a whole number from 0 to 65535 (got "http")\n');
    const tls = cli(["serve", "--tls-cert", "cert.pem"]);
    expect(tls.code).toBe(2);
    expect(tls.stderr).toBe("polyvault: INVALID_INPUT: give both --tls-cert and --tls-key, or neither\n");
    const level = cli(["serve", "--log-level", "loud"]);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/^polyvault: INVALID_INPUT: --log-level must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});

describe("polyvault serve: a drain that hangs", () => {
  it("a second SIGTERM ends it at once, with exit code 1 and a log line saying why", async () => {
    const sb = sandbox({ prefix: "e2e-gw-hang" });
    const { cwd } = sb;
    expect(runCli(sb, ["init"]).code).toBe(0);
    const server = start(sb, ["serve", "--port", "0"]);
    let out = "";
    let err = "";
    server.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    server.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => server.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!/listening on (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const base = (/listening on (\S+)/.exec(out) as RegExpExecArray)[1] as string;
    // Another process holds the audit log's locks (the main chain's and each worker's segment's, docs/audit.md
    // "Workers"): a read cannot finish, so neither can the drain.
    await takeLockWhenFree(join(cwd, "data", "audit.lock"));
    for (const w of readdirSync(join(cwd, "data", "audit-segments"))) await takeLockWhenFree(join(cwd, "data", "audit-segments", w, "audit.lock"));
    // No `access`: /v1 needs the gateway's local token (docs/gateway.md).
    const token = readFileSync(join(cwd, "data", "gateway.token"), "utf8").trim();
    const stuck = fetch(`${base}/v1/tenants/acme/secrets`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    // In flight once the gateway has logged it (not after a fixed sleep, which a loaded machine can outrun).
    await expect.poll(() => /"url":"\/v1\/tenants\/acme\/secrets"[^\n]*"msg":"incoming request"/.test(err), { timeout: 30_000, interval: 20 }).toBe(true);
    server.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    expect(server.exitCode).toBe(null);
    server.kill("SIGTERM");
    expect(await exited).toBe(1);
    expect(err).toMatch(/"why":"second SIGTERM","msg":"shutdown did not finish; exiting now"/);
    await stuck;
  });
});
