/**
 * The vault provider's descriptor (see core's descriptor.ts): configuration, location, factory. Imports
 * no client: the factory loads the package's index (and node-vault) when a configured provider needs it.
 */
import { commonOptions, defineProvider, hostOf, providerConfigSchema } from "@polyvault/core";
import { z } from "zod";

export const vaultConfigSchema = providerConfigSchema("vault", {
  /** Vault's address, e.g. https://vault.example.com:8200. */
  address: z.url(),
  token: z.string().min(1),
  /** The KV v2 mount path (default "secret"). */
  mount: z
    .string()
    .regex(/^[A-Za-z0-9_-][A-Za-z0-9_./-]*$/)
    .optional(),
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace. */
  namespace: z.string().optional(),
});
export type VaultConfig = z.infer<typeof vaultConfigSchema>;

export const vaultProvider = defineProvider({
  type: "vault",
  schema: vaultConfigSchema,
  // The address's host ("vault.eu.example.com").
  location: (config) => hostOf(config.address),
  async create(config, ctx) {
    const { createVaultProvider } = await import("./index.js");
    const { type: _type, rateLimit: _rate, concurrency: _concurrency, ...own } = config;
    return createVaultProvider({ ...own, ...commonOptions(config, ctx) });
  },
});
