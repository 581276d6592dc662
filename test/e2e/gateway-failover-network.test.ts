/**
 * Failover over HTTP when the primary fails on the network, not on disk: tenant acme's primary is the
 * real AWS server (moto) reached through a TCP relay this test owns, its mirror the real Vault. The
 * relay is then either stopped (connections refused) or turned into a black hole (connections accepted,
 * nothing ever forwarded). Either way reads are answered by the mirror with stale: true, /health/secrets
 * shows the primary down, its breaker opens, and writes are refused with 503.
 *
 * The fast failover path's promise (docs/sync.md): one attempt at the primary with a short deadline,
 * no retries. The black hole reads the requests it swallows: each operation a read sends reaches it
 * once. The time a read takes is reported as a figure, not asserted.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTenantId } from "@polyvault/core";
import { type PolyvaultConfig, Runtime } from "@polyvault/runtime";
import { createServer } from "@polyvault/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const AWS = new URL(process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566");
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const ADMIN = `tok-admin-${randomBytes(8).toString("hex")}`;

type Mode = "forward" | "stopped" | "black hole";

/** A TCP relay to moto that can forward, refuse (closed) or swallow connections, counting them. */
class Relay {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  mode: Mode = "forward";
  port = 0;
  accepted = 0;
  /** The AWS operations (X-Amz-Target) of the requests the black hole received, in order. */
  readonly swallowed: string[] = [];

  async start(): Promise<void> {
    this.#server = createTcpServer((client) => {
      this.accepted++;
      this.#track(client);
      if (this.mode === "black hole") {
        // Accepted and read, never answered: note which operation each request was.
        let seen = "";
        let counted = 0;
        client.on("data", (d: Buffer) => {
          seen += d.toString("latin1");
          const ops = [...seen.matchAll(/x-amz-target:\s*secretsmanager\.(\w+)\r\n/gi)].map((m) => m[1] as string);
          this.swallowed.push(...ops.slice(counted));
          counted = ops.length;
        });
        return;
      }
      const upstream = connect(Number(AWS.port || 80), AWS.hostname);
      this.#track(upstream);
      const cut = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", cut);
      upstream.on("error", cut);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.#server?.listen(this.port, "127.0.0.1", r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.on("close", () => this.#sockets.delete(s));
  }

  /** Drops every open connection (keep-alive sockets included) and switches mode. */
  async set(mode: Mode): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.mode = mode;
    if (mode === "stopped") await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

for (const mode of ["stopped", "black hole"] as const) {
  describe(`failover over HTTP with the primary's server ${mode} (aws primary via a relay, vault mirror)`, () => {
    const run = `gwn${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
    const relay = new Relay();
    let rt: Runtime;
    let app: Awaited<ReturnType<typeof createServer>>;
    const admin = { authorization: `Bearer ${ADMIN}` };
    const get = () => app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin });

    beforeAll(async () => {
      await relay.start();
      const config: PolyvaultConfig = {
        providers: {
          local: { type: "file" },
          aws: {
            type: "aws",
            region: "us-east-1",
            endpoint: `http://127.0.0.1:${relay.port}`,
            credentials: { accessKeyId: "test", secretAccessKey: "test" },
            prefix: run,
            timeoutMs: 3000,
          },
          vault: { type: "vault", address: VAULT, token: VAULT_TOKEN, prefix: run },
        },
        tenants: { acme: { primary: "aws", mirrors: ["vault"] } },
        routes: { "acme-mirror": { source: "aws", targets: ["vault"], tenants: ["acme"] } },
        access: { principals: { admin: { tokenSha256: sha(ADMIN), roles: [{ role: "admin", tenants: ["*"] }] } } },
      } as PolyvaultConfig;
      const dir = mkdtempSync(join(tmpdir(), "pv-gw-net-"));
      rt = await Runtime.open({
        dataDir: join(dir, "data"),
        config,
        env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: ADMIN },
      });
      app = await createServer(rt, { logger: false, healthCacheMs: 0, healthTimeoutMs: 1000 });
      const put = await app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: "postgres://mirrored" } });
      expect(put.statusCode, put.body).toBe(200);
      await app.gateway.scopes.flushPushes();
      expect(app.gateway.scopes.pushErrors).toEqual([]);
      // The primary holds it through the relay (read with the provider's own timeout: under load the
      // gateway's 800 ms failover deadline may already send a read to the mirror).
      expect((await rt.provider("aws").head(parseTenantId("acme"), "db/url")).managed).toBe(true);
      await relay.set(mode);
    }, 120_000);
    afterAll(async () => {
      await relay.set("stopped");
      await app?.close();
      await app?.gateway.scopes.security.close();
      await rt?.close();
    });

    it("the mirror answers with stale: true after one attempt at the primary, no retries", async () => {
      const before = relay.accepted;
      const t0 = performance.now();
      const r = await get();
      const ms = performance.now() - t0;
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ tenant: "acme", name: "db/url", value: "postgres://mirrored", servedBy: "vault", stale: true });
      expect(r.headers["x-polyvault-served-by"]).toBe("vault");
      if (mode === "black hole") {
        // One attempt: every operation the read sent to the primary was sent once (a retry repeats one).
        const ops = relay.swallowed.splice(0);
        expect(ops.length, `requests seen by the black hole: ${ops.join(", ")}`).toBeGreaterThanOrEqual(1);
        expect(new Set(ops).size, `an operation was retried: ${ops.join(", ")}`).toBe(ops.length);
        expect(relay.accepted - before).toBe(ops.length);
      }
      console.info(`[gateway failover, primary ${mode}] first failover read: ${Math.round(ms)} ms (deadline 800 ms)`);
    }, 60_000);

    it("/health/secrets shows the primary down; repeated failures open its breaker; writes get 503", async () => {
      const h = (await app.inject({ method: "GET", url: "/health/secrets" })).json();
      expect(h.status).toBe("degraded");
      expect(h.providers.aws.up).toBe(false);
      expect(h.providers.vault.up).toBe(true);
      for (let i = 0; i < 6 && rt.gate("aws").breakerState !== "open"; i++) expect((await get()).json().servedBy).toBe("vault");
      expect(rt.gate("aws").breakerState).toBe("open");
      const before = relay.accepted;
      expect((await get()).json()).toMatchObject({ servedBy: "vault", stale: true });
      expect(relay.accepted - before, "an open breaker does not touch the primary").toBe(0);
      const w = await app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/db%2Furl", headers: admin, payload: { value: "x" } });
      expect(w.statusCode).toBe(503);
      expect(w.json().error.code).toBe("UNAVAILABLE");
    }, 120_000);
  });
}
