// A server that refuses connections, one that accepts and never answers, and one that answers but is
// not Vault: each must give UnavailableError within timeoutMs, never NotFound, and no value in errors.
import type { TenantId } from "@polyvault/core";
import { UnavailableError } from "@polyvault/core";
import { type DeadEndpoints, deadEndpoints } from "@polyvault/provider-testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVaultProvider } from "../src/index.js";

const TIMEOUT_MS = 1500;
const SLACK_MS = 500;
const tenant = "acme" as TenantId;
const at = (port: number) => createVaultProvider({ name: "vault", address: `http://127.0.0.1:${port}`, token: "t", timeoutMs: TIMEOUT_MS });

async function expectUnavailableInTime(port: number) {
  const provider = at(port);
  const calls = [
    () => provider.head(tenant, "db/url"),
    () => provider.get(tenant, "db/url"),
    () => provider.getMany(tenant, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
    () => provider.put(tenant, "db/url", Buffer.from("canary-value")),
    () => provider.delete(tenant, "db/url"),
    () => provider.versions(tenant, "db/url"),
    () => provider.list(tenant),
  ];
  for (const call of calls) {
    const start = performance.now();
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - start;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(String((err as Error).message)).not.toContain("canary-value");
    expect(String((err as Error).cause)).not.toContain("canary-value");
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  }
  const start = performance.now();
  const health = await provider.health();
  expect(health.ok).toBe(false);
  expect(performance.now() - start).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  await provider.close();
}

describe("vault provider when the server is not there", () => {
  let dead: DeadEndpoints;
  beforeAll(async () => {
    dead = await deadEndpoints();
  });
  afterAll(() => dead.close());

  it("refused connections give UnavailableError within timeoutMs", () => expectUnavailableInTime(dead.refusedPort), 20_000);
  it("a server that never answers gives UnavailableError within timeoutMs", () => expectUnavailableInTime(dead.silentPort), 20_000);
  it("an address that is not Vault gives UnavailableError, not NotFound", () => expectUnavailableInTime(dead.notTheServicePort), 20_000);
});
