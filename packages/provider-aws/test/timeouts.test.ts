// A server that refuses connections, one that accepts and never answers, and one that answers but is
// not Secrets Manager: each must give UnavailableError within timeoutMs, never NotFound.
import type { TenantId } from "@polyvault/core";
import { UnavailableError } from "@polyvault/core";
import { type DeadEndpoints, deadEndpoints } from "@polyvault/provider-testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsProvider } from "../src/index.js";

const TIMEOUT_MS = 1500;
const SLACK_MS = 500;
const tenant = "acme" as TenantId;
const at = (port: number) =>
  createAwsProvider({
    name: "aws",
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    timeoutMs: TIMEOUT_MS,
  });

async function expectUnavailableInTime(port: number) {
  const provider = at(port);
  const calls = [
    () => provider.head(tenant, "db/url"),
    () => provider.get(tenant, "db/url"),
    () => provider.put(tenant, "db/url", Buffer.from("canary-value")),
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
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  }
  const health = await provider.health();
  expect(health.ok).toBe(false);
  await provider.close();
}

describe("aws provider when the server is not there", () => {
  let dead: DeadEndpoints;
  beforeAll(async () => {
    dead = await deadEndpoints();
  });
  afterAll(() => dead.close());

  it("refused connections give UnavailableError within timeoutMs", () => expectUnavailableInTime(dead.refusedPort), 20_000);
  it("a server that never answers gives UnavailableError within timeoutMs", () => expectUnavailableInTime(dead.silentPort), 20_000);
  it("an endpoint that is not Secrets Manager gives UnavailableError, not NotFound", () => expectUnavailableInTime(dead.notTheServicePort), 20_000);
});
