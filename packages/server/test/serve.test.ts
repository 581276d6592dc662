/**
 * serve(): a real listening socket. The scheduler runs scheduled routes in the gateway; close() drains
 * in-flight requests before sealing the audit log; the per-token rate limit; TLS; and the refusal to
 * serve a non-loopback address without access control.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { takeLockWhenFree } from "../../../test/harness/locks.js";
import { serve } from "../src/index.js";
import { TOKENS, accessConfig, bearer } from "./helpers.js";

async function runtime(extra: Record<string, unknown> = {}, withAccess = true): Promise<{ rt: Runtime; dataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pv-serve-"));
  const dataDir = join(dir, "data");
  const config = {
    providers: { local: { type: "file" as const }, mirror: { type: "file" as const, dir: join(dir, "mirror") } },
    ...(withAccess ? { access: accessConfig() } : {}),
    ...extra,
  };
  const rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: TOKENS.admin } });
  return { rt, dataDir };
}

describe("serve()", () => {
  it("refuses a non-loopback address without access control, unless told to allow it", async () => {
    const { rt } = await runtime({}, false);
    await expect(serve(rt, { host: "0.0.0.0", port: 0, logger: false })).rejects.toThrow(
      /^refusing to serve on 0\.0\.0\.0 without access control: anyone who can reach it would be admin/,
    );
    const gw = await serve(rt, { host: "0.0.0.0", port: 0, logger: false, allowNoAuth: true, allowNoTls: true });
    expect((await fetch(`${gw.url.replace("0.0.0.0", "127.0.0.1")}/health`)).status).toBe(200);
    await gw.close();
    const local = await serve(rt, { host: "127.0.0.1", port: 0, logger: false });
    expect((await fetch(`${local.url}/v1/tenants/acme/secrets`)).status).toBe(401);
    const token = readFileSync(local.tokenFile as string, "utf8").trim();
    expect((await fetch(`${local.url}/v1/tenants/acme/secrets`, { headers: bearer(token) })).status).toBe(200);
    await local.close();
    await rt.close();
  });

  it("close() lets an in-flight request finish, then refuses new connections and seals the audit log", async () => {
    const { rt, dataDir } = await runtime();
    const gw = await serve(rt, { port: 0, logger: false });
    const put = await fetch(`${gw.url}/v1/tenants/acme/secrets/K`, {
      method: "PUT",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      body: JSON.stringify({ value: "v" }),
    });
    expect(put.status).toBe(200);
    // Hold the audit log's lock as another process would: the next read waits for it.
    const lock = join(dataDir, "audit.lock");
    await takeLockWhenFree(lock);
    const inFlight = fetch(`${gw.url}/v1/tenants/acme/secrets/K`, { headers: bearer(TOKENS.admin) });
    // In flight once its handler runs (not after a fixed sleep, which a loaded machine can outrun).
    await expect.poll(() => gw.app.gateway.inflight.running, { timeout: 30_000, interval: 5 }).toBe(1);
    const closed = gw.close();
    let closedFirst = false;
    void closed.then(() => (closedFirst = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(closedFirst).toBe(false);
    rmSync(lock, { recursive: true });
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { value: string }).value).toBe("v");
    await closed;
    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
    const log = readFileSync(join(dataDir, "audit.log"), "utf8").trim().split("\n");
    expect(JSON.parse(log[log.length - 1] as string).type).toBe("checkpoint");
    await rt.close();
  });

  it("runs scheduled routes inside the gateway and counts them", async () => {
    const { rt } = await runtime({ routes: { every: { source: "local", targets: ["mirror"], tenants: "*", schedule: "* * * * * *" } } });
    const gw = await serve(rt, { port: 0, logger: false });
    await fetch(`${gw.url}/v1/tenants/acme/secrets/S`, {
      method: "PUT",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      body: JSON.stringify({ value: "s" }),
    });
    // Wait for the event (a scheduled run recorded); the test's timeout bounds the wait.
    while (!gw.app.gateway.activity.runs.some((r) => r.source === "schedule" && r.ok)) await new Promise((r) => setTimeout(r, 100));
    expect(gw.app.gateway.activity.runs.some((r) => r.source === "schedule" && r.route === "every" && r.ok)).toBe(true);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^polyvault_sync_runs_total\{route="every",source="schedule",outcome="ok"\} [1-9]\d*$/m);
    await gw.close();
    await rt.close();
  });

  it("rate-limits per token: the fourth request in the minute is 429, another token is unaffected, guesses share one budget", async () => {
    const { rt } = await runtime();
    const gw = await serve(rt, { port: 0, logger: false, rateLimitPerMinute: 3 });
    const list = (token: string) => fetch(`${gw.url}/v1/tenants/acme/secrets`, { headers: bearer(token) });
    for (let i = 0; i < 3; i++) expect((await list(TOKENS.reader)).status).toBe(200);
    const limited = await list(TOKENS.reader);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await limited.json()).toEqual({
      error: {
        code: "THROTTLED",
        message: expect.stringMatching(/^rate limit of 3 requests per minute exceeded for this token or client address; retry in \d+ s$/),
      },
    });
    expect((await list(TOKENS.writer)).status).toBe(200);
    // Unknown tokens (and no token) share the client address's budget: guessing tokens cannot escape it.
    const guesses: number[] = [];
    for (const i of [1, 2, 3, 4]) guesses.push((await list(`guess-${i}`)).status);
    expect(guesses).toEqual([401, 401, 401, 429]);
    expect((await fetch(`${gw.url}/v1/tenants/acme/secrets`)).status).toBe(429);
    expect((await list(TOKENS.admin)).status).toBe(200);
    await gw.close();
    await rt.close();
  });

  it("serves HTTPS with the given certificate and key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const cert = readFileSync(join(dir, "cert.pem"));
    const { rt } = await runtime();
    const gw = await serve(rt, { port: 0, logger: false, tls: { cert, key: readFileSync(join(dir, "key.pem")) } });
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      request(`${gw.url}/health`, { ca: cert }, (res) => {
        let s = "";
        res.on("data", (d: Buffer) => (s += d.toString()));
        res.on("end", () => resolve(s));
      })
        .on("error", reject)
        .end();
    });
    expect(JSON.parse(body).status).toBe("ok");
    await gw.close();
    await rt.close();
  });

  it("close() waits for a handler whose client hung up, before the seal and the runtime's close", async () => {
    // A provider endpoint that holds every connection until released, then answers "no such secret".
    // Other calls (the gateway lists tenants' secrets at start) are answered at once.
    const held: Socket[] = [];
    let released = false;
    const reply = (sock: Socket, status: string, body: string) =>
      sock.end(`HTTP/1.1 ${status}\r\ncontent-type: application/x-amz-json-1.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    const notFound = (sock: Socket) => reply(sock, "400 Bad Request", '{"__type":"ResourceNotFoundException","message":"not found (held test)"}');
    const endpoint = createServer((sock) => {
      sock.on("error", () => undefined);
      sock.once("data", (d: Buffer) => {
        const target = /x-amz-target: *secretsmanager\.(\w+)/i.exec(d.toString("latin1"))?.[1];
        if (target === "ListSecrets") reply(sock, "200 OK", '{"SecretList":[]}');
        else if (released) notFound(sock);
        else held.push(sock);
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, "127.0.0.1", r));
    const port = (endpoint.address() as { port: number }).port;
    const { rt, dataDir } = await runtime({
      providers: {
        local: { type: "file" as const },
        slow: {
          type: "aws" as const,
          region: "us-east-1",
          endpoint: `http://127.0.0.1:${port}`,
          credentials: { accessKeyId: "test", secretAccessKey: "test" },
        },
      },
      tenants: { acme: { primary: "slow" } },
    });
    const gw = await serve(rt, { port: 0, logger: false });
    try {
      // The client gives up while the gateway waits for the provider.
      await expect(fetch(`${gw.url}/v1/tenants/acme/secrets/K`, { headers: bearer(TOKENS.admin), signal: AbortSignal.timeout(300) })).rejects.toThrow();
      while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(gw.app.gateway.inflight.running).toBe(1);
      const closed = gw.close();
      let closedFirst = false;
      void closed.then(() => (closedFirst = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(closedFirst).toBe(false); // the handler still runs: close waits for it
      released = true;
      for (const sock of held.splice(0)) notFound(sock);
      await closed;
      expect(gw.app.gateway.inflight.running).toBe(0);
      // The handler's outcome record is in the log before the seal that close() wrote.
      const log = readFileSync(join(dataDir, "audit.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const read = log.findLastIndex((e) => e.action === "read" && e.name === "K");
      expect(read).toBeGreaterThan(-1);
      expect(log[read]?.outcome).toBe("NOT_FOUND");
      expect(log[log.length - 1]?.type).toBe("checkpoint");
    } finally {
      await gw.close();
      await rt.close();
      endpoint.close();
    }
  });
});
