/**
 * The vault provider's descriptor (see core's descriptor.ts): configuration, location, factory. Imports
 * no client: the factory loads the package's index (and node-vault) when a configured provider needs it.
 */
import { commonOptions, defineProvider, hostOf, providerConfigSchema } from "@polyvault/core";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
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
  /** Certificates are always verified unless rejectUnauthorized is false; ca: a PEM bundle, or a path to one. */
  tls: z.strictObject({ ca: z.string().min(1).optional(), rejectUnauthorized: z.boolean().optional() }).optional(),
});
export type VaultConfig = z.infer<typeof vaultConfigSchema>;

export const vaultProvider = defineProvider({
  type: "vault",
  schema: vaultConfigSchema,
  // The address's host ("vault.eu.example.com").
  location: (config) => hostOf(config.address),
  // A create or update is two calls (the value, then custom_metadata): 32 in flight keep 16 secrets in
  // flight, as the other providers' default does (docs/benchmarks.md, "Sync at cloud latency").
  defaultConcurrency: 32,
  async create(config, ctx) {
    const { createVaultProvider } = await import("./index.js");
    const { type: _type, rateLimit: _rate, concurrency: _concurrency, tls: tlsConfig, ...own } = config;
    // A CA bundle inline, or a path to one (relative to the configuration file's directory).
    const ca = tlsConfig?.ca;
    const tls = tlsConfig
      ? { ...tlsConfig, ...(ca === undefined ? {} : { ca: ca.includes("-----BEGIN") ? ca : readFileSync(resolve(ctx.baseDir, ca), "utf8") }) }
      : undefined;
    return createVaultProvider({ ...own, tls, ...commonOptions(config, ctx) });
  },
});
