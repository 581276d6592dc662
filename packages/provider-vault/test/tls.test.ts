// Issue 16.6: certificates are verified unless the configuration says otherwise (VAULT_SKIP_VERIFY, set
// to anything, no longer turns checking off), a refused certificate is reported as such at once (not as
// a timeout), and the token never follows a redirect to another origin. A local HTTPS server with a
// self-signed certificate forwards to the real Vault dev server; a local HTTP server redirects elsewhere.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { type IncomingHttpHeaders, type Server, createServer, request } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TenantId } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVaultProvider } from "../src/index.js";

const VAULT = new URL(process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200");
const TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
const tenant = `tls-${Date.now().toString(36)}` as TenantId;

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));

describe("vault provider TLS and token handling (issue 16.6)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pv-vault-tls-"));
  let httpsPort: number;
  let redirectPort: number;
  let elsewherePort: number;
  let ca: string;
  const seenElsewhere: IncomingHttpHeaders[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    ca = readFileSync(join(dir, "cert.pem"), "utf8");
    // HTTPS in front of the real Vault: every request forwarded as it is.
    const https = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: ca }, (req, res) => {
      const up = request({ host: VAULT.hostname, port: VAULT.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.writeHead(502).end());
      req.pipe(up);
    });
    const elsewhere = createServer((req, res) => {
      seenElsewhere.push(req.headers);
      res.writeHead(200, { "content-type": "application/json" }).end('{"data":{}}');
    });
    servers.push(https as unknown as Server, elsewhere);
    httpsPort = await listen(https as unknown as Server);
    elsewherePort = await listen(elsewhere);
    const redirect = createServer((req, res) => res.writeHead(307, { location: `http://localhost:${elsewherePort}${req.url}` }).end());
    servers.push(redirect);
    redirectPort = await listen(redirect);
  });
  afterAll(() => {
    for (const s of servers) s.close();
    delete process.env.VAULT_SKIP_VERIFY;
  });

  const at = (port: number, scheme: "http" | "https", tls?: { ca?: string; rejectUnauthorized?: boolean }) =>
    createVaultProvider({ name: "vault", address: `${scheme}://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 10_000, prefix: "tls", tls });

  it("VAULT_SKIP_VERIFY=false does not turn checking off: a self-signed certificate is refused at once, as a certificate error", async () => {
    process.env.VAULT_SKIP_VERIFY = "false";
    const p = at(httpsPort, "https");
    const t0 = performance.now();
    const err = (await p.head(tenant, "x").catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe("UNAUTHORIZED");
    expect(err.message).toMatch(/TLS certificate was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\).*tls\.ca/);
    expect(err.message).not.toMatch(/did not answer/);
    // Not retried until the deadline (10 s): one handshake, with room for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(9_000);
    await p.close();
  });

  it("with tls.ca the same server is trusted, and values go through", async () => {
    process.env.VAULT_SKIP_VERIFY = "1";
    const p = at(httpsPort, "https", { ca });
    await p.put(tenant, "x", Buffer.from("through-tls"));
    expect((await p.get(tenant, "x")).value.toString()).toBe("through-tls");
    await p.delete(tenant, "x", { purge: true });
    await p.close();
  });

  it("rejectUnauthorized: false is the only way to accept any certificate", async () => {
    const p = at(httpsPort, "https", { rejectUnauthorized: false });
    expect((await p.health()).ok).toBe(true);
    await p.close();
  });

  it("a redirect to another origin is not followed: the token never leaves for it", async () => {
    const p = at(redirectPort, "http");
    const err = (await p.head(tenant, "x").catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(/redirect to http:\/\/localhost:\d+\), which is never followed/);
    expect(err.message).not.toContain(TOKEN);
    expect(seenElsewhere).toEqual([]);
    await p.close();
  });
});
