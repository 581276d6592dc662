import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import { NotFoundError, UnavailableError, parseTenantId } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureProvider } from "../src/index.js";

const tenant = parseTenantId("timeouts");
const TIMEOUT_MS = 1500;

function provider(port: number) {
  return createAzureProvider({
    name: "azure-down",
    vaultUrl: `https://127.0.0.1:${port}`,
    credential: { kind: "static", token: "dummy" },
    tls: { rejectUnauthorized: false },
    disableChallengeResourceVerification: true,
    timeoutMs: TIMEOUT_MS,
  });
}

async function expectUnavailableInTime(call: () => Promise<unknown>): Promise<void> {
  const t0 = Date.now();
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - t0;
  expect(err).toBeInstanceOf(UnavailableError);
  expect(err).not.toBeInstanceOf(NotFoundError);
  expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
}

describe("azure provider: unreachable servers are UnavailableError within timeoutMs", () => {
  let refusing: number;
  let silent: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // A port nothing listens on: bind, note the port, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    refusing = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    // Accepts connections and never says a word (not even the TLS handshake).
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it("a port that refuses connections", async () => {
    const p = provider(refusing);
    try {
      await expectUnavailableInTime(() => p.get(tenant, "x"));
      await expectUnavailableInTime(() => p.put(tenant, "x", Buffer.from("v")));
      await expectUnavailableInTime(() => p.list(tenant));
      const h = await p.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toMatch(/unreachable|did not answer/);
    } finally {
      await p.close();
    }
  });

  it("a server that accepts but never answers", async () => {
    const p = provider((silent.address() as AddressInfo).port);
    try {
      await expectUnavailableInTime(() => p.get(tenant, "x"));
      await expectUnavailableInTime(() => p.delete(tenant, "x"));
      await expectUnavailableInTime(() => p.list(tenant));
      expect((await p.health()).ok).toBe(false);
    } finally {
      await p.close();
    }
  });
});
