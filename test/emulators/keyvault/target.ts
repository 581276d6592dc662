// The Key Vault the behaviour suites talk to: the project's test server by default, or any vault
// POLYVAULT_TEST_AZURE_URL names (a Lowkey Vault, a real vault with POLYVAULT_TEST_AZURE_CREDENTIAL=default),
// so the answers of the two can be compared with the same tests.
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll } from "vitest";
import { rawClient } from "./raw.js";

export const vaultUrl = process.env.POLYVAULT_TEST_AZURE_URL || "https://localhost:8443";
const caFile = process.env.POLYVAULT_TEST_AZURE_CA;
const ca = caFile ? readFileSync(caFile, "utf8") : undefined;
const real = process.env.POLYVAULT_TEST_AZURE_CREDENTIAL === "default";
export const tls = real ? {} : ca !== undefined ? { ca } : { rejectUnauthorized: false };
export const credential: TokenCredential = real
  ? new DefaultAzureCredential()
  : { getToken: async () => ({ token: "behaviour-suite", expiresOnTimestamp: Date.now() + 3_600_000 }) };

export const agent = new Agent({ keepAlive: true, ...tls });
/** The official SDK, unchanged: only the vault URL, the credential and the CA differ from production. */
export const client = new SecretClient(vaultUrl, credential, { agent, disableChallengeResourceVerification: !real });
export const raw = rawClient(vaultUrl, credential, tls);

/** A name of this run's own, so runs against a long-lived vault never meet. */
export const run = `kvb${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

export const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;
export async function failure(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { statusCode?: number; code?: string; message: string };
  }
  throw new Error("expected the call to fail");
}

/** Polls `check` until it is true (a transition the service finishes on its own), at most `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deletes and purges a secret, waiting until the name is free again (cleanup). */
export async function remove(name: string): Promise<void> {
  try {
    await (await client.beginDeleteSecret(name, { intervalInMs: 100 })).pollUntilDone();
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  try {
    await client.purgeDeletedSecret(name);
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  await eventually(async () => (await raw("GET", `/deletedsecrets/${name}`)).status === 404);
}

/**
 * Names of this run's own for one suite file (`name("versions")` → `<run>-versions`): each is deleted and
 * purged when the file ends, and the file's connections are closed.
 */
export function suiteNames(): (suffix: string) => string {
  const names: string[] = [];
  afterAll(async () => {
    for (const n of names) await remove(n).catch(() => undefined);
    agent.destroy();
  }, 120_000);
  return (suffix) => {
    const n = `${run}-${suffix}`;
    names.push(n);
    return n;
  };
}
