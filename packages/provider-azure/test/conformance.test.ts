import { SecretClient } from "@azure/keyvault-secrets";
import { Agent } from "node:https";
import { describeProviderConformance } from "@polyvault/provider-testkit";
import { afterAll } from "vitest";
import { createAzureNameCodec, createAzureProvider } from "../src/index.js";
import { ca, testCredential, tls, vaultUrl } from "./env.js";

// The project's test Key Vault (or POLYVAULT_TEST_AZURE_URL's) takes any bearer token, on localhost.
const common = {
  credential: { kind: "static", token: "emulator" },
  tls,
  disableChallengeResourceVerification: true,
} as const;
const codec = createAzureNameCodec();
const native = (tenant: string, name: string) => {
  const fit = codec.encode(tenant as never, name);
  if (!fit.ok) throw new Error(fit.reason);
  return fit.nativeName;
};

// Another tool writing straight to Key Vault: the raw SDK, no Polyvault tags.
const agent = new Agent({ keepAlive: true, ...(ca !== undefined ? { ca } : { rejectUnauthorized: false }) });
const raw = new SecretClient(vaultUrl, testCredential, { agent, disableChallengeResourceVerification: true });
afterAll(() => agent.destroy());

describeProviderConformance({
  name: "azure",
  create: () => createAzureProvider({ name: "azure", vaultUrl, ...common }),
  // 127.0.0.1:9 (discard) is closed on a test machine: connections are refused.
  createUnreachable: () => createAzureProvider({ name: "azure-down", vaultUrl: "https://127.0.0.1:9", ...common, timeoutMs: 1500 }),
  createAt: (port, timeoutMs) => createAzureProvider({ name: "azure-dead", vaultUrl: `https://127.0.0.1:${port}`, ...common, timeoutMs }),
  async seedUnmanaged(tenant, name, value) {
    await raw.setSecret(native(tenant, name), value.toString("utf8"));
  },
  async readRaw(tenant, name) {
    try {
      const s = await raw.getSecret(native(tenant, name));
      return Buffer.from(s.value ?? "", "utf8");
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  },
  nativeNamesCaseInsensitive: true,
  lacks: {
    checkAndSet:
      "Key Vault has no conditional write (no If-Match on set): ifVersion is checked against the current version just before writing, which narrows but does not close the race",
    batchGet: "Key Vault has no batch read: getMany runs bounded parallel single reads",
  },
  refusedNames: [
    // 120 characters that each take two encoded characters: far over Azure's 127.
    "A_".repeat(60),
  ],
});
