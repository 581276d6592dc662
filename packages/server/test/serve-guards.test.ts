/**
 * The browser guards and the local token over a real listening socket (issue 15 finding 2), and the
 * refusal to serve a non-loopback address without TLS (issue 16 finding 9).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { serve } from "../src/index.js";
import { TOKENS, accessConfig } from "./helpers.js";

async function runtime(withAccess: boolean): Promise<{ rt: Runtime; dataDir: string }> {
  const dataDir = join(mkdtempSync(join(tmpdir(), "pv-guard-")), "data");
  const config = { providers: { local: { type: "file" as const } }, ...(withAccess ? { access: accessConfig() } : {}) };
  const rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: TOKENS.admin } });
  return { rt, dataDir };
}

/** One request with exactly the Host header given (fetch would set its own). */
function raw(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET", headers, setHost: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An HTTP/1.0 request with no Host header at all. */
function noHost(url: string, path: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    let data = "";
    s.on("data", (c: Buffer) => (data += c.toString()));
    s.on("end", () => resolve(data));
    s.on("error", reject);
  });
}

describe("serve() without access, on a real socket", () => {
  it("creates a 0600 local token, reuses it on restart, and refuses rebinding Hosts and requests without it", async () => {
    const { rt, dataDir } = await runtime(false);
    const gw = await serve(rt, { port: 0, logger: false });
    expect(gw.tokenFile).toBe(join(dataDir, "gateway.token"));
    expect(statSync(gw.tokenFile as string).mode & 0o777).toBe(0o600);
    const token = readFileSync(gw.tokenFile as string, "utf8").trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const port = new URL(gw.url).port;
    const path = "/v1/tenants/globex/secrets";
    const rebound = await raw(gw.url, path, { host: `attacker.example:${port}`, authorization: `Bearer ${token}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: "ACCESS_DENIED" } });
    expect(await noHost(gw.url, path)).toMatch(/^HTTP\/1\.1 403 /);
    expect((await raw(gw.url, path, { host: `127.0.0.1:${port}` })).status).toBe(401);
    expect((await raw(gw.url, path, { host: `localhost:${port}`, authorization: `Bearer ${token}` })).status).toBe(200);
    await gw.close();
    const again = await serve(rt, { port: 0, logger: false });
    expect(readFileSync(again.tokenFile as string, "utf8").trim()).toBe(token);
    await again.close();
    await rt.close();
  });

  it("answers a name given with allowedHosts, and refuses a name that is not a host name", async () => {
    const { rt } = await runtime(false);
    await expect(serve(rt, { port: 0, logger: false, allowedHosts: ["a/b"] })).rejects.toThrow(/^--allowed-host "a\/b" is not a host name$/);
    const gw = await serve(rt, { port: 0, logger: false, allowedHosts: ["polyvault.internal"] });
    expect((await raw(gw.url, "/health", { host: "polyvault.internal:8700" })).status).toBe(200);
    expect((await raw(gw.url, "/health", { host: "other.internal:8700" })).status).toBe(403);
    await gw.close();
    await rt.close();
  });
});

describe("serve() start-up warnings", () => {
  it("logs an alert webhook that is plain http:// to another host, or unsigned (issue 16 finding 7)", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "pv-guard-")), "data");
    const config = { providers: { local: { type: "file" as const } }, alerts: { webhook: "http://alerts.example.com/hook" } };
    const rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") } });
    const lines: string[] = [];
    const gw = await serve(rt, { port: 0, logger: { level: "warn", stream: { write: (l: string) => void lines.push(l) } } });
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; warning?: string }).filter((l) => l.msg === "configuration warning");
    expect(warnings.map((w) => w.warning)).toEqual([
      "alerts.webhook uses http:// to alerts.example.com: alerts and their signatures cross the network in clear (use https://)",
      "alerts.secretEnv is not set: alerts are sent unsigned, so a receiver cannot tell them from forgeries",
    ]);
    await gw.close();
    await rt.close();
  });
});

describe("serve() on a non-loopback address", () => {
  it("refuses to start without TLS, with access on, unless told the TLS is terminated in front", async () => {
    const { rt } = await runtime(true);
    await expect(serve(rt, { host: "0.0.0.0", port: 0, logger: false })).rejects.toThrow(
      /^refusing to serve on 0\.0\.0\.0 without TLS: bearer tokens and secret values would cross the network in clear\. Give --tls-cert and --tls-key, or, when a proxy in front terminates TLS, pass --insecure-no-tls$/,
    );
    const gw = await serve(rt, { host: "0.0.0.0", port: 0, logger: false, allowNoTls: true });
    expect(gw.tokenFile).toBeUndefined();
    await gw.close();
    await rt.close();
  });
});
