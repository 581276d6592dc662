import type { TenantId } from "@polyvault/core";
import { describeProviderConformance } from "@polyvault/provider-testkit";
import NodeVault from "node-vault";
import { createVaultNameCodec, createVaultProvider } from "../src/index.js";

// docs/testing.md's defaults for the Vault/OpenBao dev server that test/emulators/vault.mjs starts.
const address = process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200";
const token = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
const codec = createVaultNameCodec();
const raw = NodeVault({ endpoint: address, token });
const path = (tenant: TenantId, name: string) => {
  const fit = codec.encode(tenant, name);
  if (!fit.ok) throw new Error(fit.reason);
  return fit.nativeName;
};

describeProviderConformance({
  name: "vault",
  create: () => createVaultProvider({ name: "vault", address, token }),
  // Port 9 (discard) has no listener on loopback: connections are refused.
  createUnreachable: () => createVaultProvider({ name: "down", address: "http://127.0.0.1:9", token, timeoutMs: 1500 }),
  createAt: (port, timeoutMs) => createVaultProvider({ name: "vault-dead", address: `http://127.0.0.1:${port}`, token: "t", timeoutMs }),
  async seedUnmanaged(tenant, name, value) {
    // Another tool's secret: a plain KV v2 write, no Polyvault markers, the text under "value".
    await raw.write(`secret/data/${path(tenant, name)}`, { data: { value: value.toString("utf8") } });
  },
  async readRaw(tenant, name) {
    try {
      const body = await raw.read(`secret/data/${path(tenant, name)}`);
      const data = body.data.data as Record<string, unknown>;
      return typeof data.value === "string" ? Buffer.from(data.value, "utf8") : Buffer.from(JSON.stringify(data));
    } catch (err) {
      if ((err as { response?: { statusCode?: number } }).response?.statusCode === 404) return undefined;
      throw err;
    }
  },
  lacks: {
    batchGet: "KV v2 has no batch read: getMany() runs bounded parallel single reads (batchGet 1)",
  },
});
