/**
 * The azure provider's descriptor (see core's descriptor.ts): configuration, location, factory. Imports
 * no SDK: the factory loads the package's index (and @azure/*) when a configured provider needs it.
 */
import { commonOptions, defineProvider, hostOf, providerConfigSchema } from "@polyvault/core";
import { z } from "zod";

export const azureConfigSchema = providerConfigSchema("azure", {
  /** The vault, e.g. https://myvault.vault.azure.net (the emulator: https://localhost:8443). */
  vaultUrl: z.url(),
  /** Omitted or `{ kind: default }`: DefaultAzureCredential. `{ kind: static, token }`: the emulator. */
  credential: z
    .discriminatedUnion("kind", [z.strictObject({ kind: z.literal("static"), token: z.string().min(1) }), z.strictObject({ kind: z.literal("default") })])
    .optional(),
  /** TLS for this client only (e.g. the emulator's self-signed certificate). */
  tls: z.strictObject({ rejectUnauthorized: z.boolean().optional() }).optional(),
  /** Skip the check that the auth challenge's resource matches the vault's domain (needed on localhost). */
  disableChallengeResourceVerification: z.boolean().optional(),
});
export type AzureConfig = z.infer<typeof azureConfigSchema>;

export const azureProvider = defineProvider({
  type: "azure",
  schema: azureConfigSchema,
  // The vault URL's host ("contoso-eu.vault.azure.net"): Key Vault URLs carry no region.
  location: (config) => hostOf(config.vaultUrl),
  async create(config, ctx) {
    const { createAzureProvider } = await import("./index.js");
    const { type: _type, rateLimit: _rate, concurrency: _concurrency, ...own } = config;
    return createAzureProvider({ ...own, ...commonOptions(config, ctx) });
  },
});
