/**
 * The Azure provider against a Key Vault whose answer to a write is lost (the connection drops after the
 * vault stored the version): the provider retries, and the retry must not add a second version, since
 * Key Vault has no idempotency key. A TLS-terminating proxy in front of a private test Key Vault
 * forwards the first PUT of a secret, waits for the vault's answer, then drops the client's connection.
 */
import { request } from "node:https";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { parseTenantId } from "@polyvault/core";
import { createAzureProvider } from "@polyvault/provider-azure";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyVaultServer, createKeyVaultServer } from "./server.mjs";
import { selfSignedCertificate } from "./tls.mjs";

let kv: KeyVaultServer;
let proxy: ReturnType<typeof createServer>;
let dropped = 0;
const tenant = parseTenantId("lost");

beforeAll(async () => {
  kv = await createKeyVaultServer({ port: 0, transitionMs: 0 });
  const upstream = new URL(kv.url);
  proxy = createServer(selfSignedCertificate(), (req, res) => {
    const drop = req.method === "PUT" && req.headers.authorization !== undefined && dropped === 0;
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ca: kv.ca, servername: "localhost" },
      (upRes) => {
        if (drop && upRes.statusCode === 200) {
          dropped++;
          upRes.resume();
          upRes.on("end", () => req.socket.destroy()); // the vault stored it; the client never hears so
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((r) => proxy.close(() => r()));
  await kv.close();
});

describe("azure provider: a write whose answer is lost", () => {
  it("is retried without adding a second version", async () => {
    const port = (proxy.address() as AddressInfo).port;
    const p = createAzureProvider({
      name: "azure-lost",
      vaultUrl: `https://127.0.0.1:${port}`,
      credential: { kind: "static", token: "t" },
      tls: { rejectUnauthorized: false },
      disableChallengeResourceVerification: true,
    });
    try {
      const head = await p.put(tenant, "db/url", Buffer.from("value one"));
      expect(dropped).toBe(1);
      expect((await p.get(tenant, "db/url")).value.toString()).toBe("value one");
      const versions = await p.versions(tenant, "db/url");
      expect(versions.map((v) => v.version)).toEqual([head.version]);
    } finally {
      await p.close();
    }
  });
});
