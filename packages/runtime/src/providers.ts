/**
 * Builds provider instances from configuration: the one place that knows every provider package.
 * Cloud SDKs are imported only when a configured provider needs them (the CLI starts faster).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Provider } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import type { ProviderConfig } from "./config/schema.js";

export interface BuildOptions {
  /** Overrides the configured timeout (failover reads use a short one). */
  readonly timeoutMs?: number | undefined;
  /** Overrides the configured retry attempts (failover reads retry less). */
  readonly fast?: boolean | undefined;
}

/**
 * `baseDir` resolves a relative `dir` of a file provider: the configuration file's directory (so the
 * same file means the same store from any working directory), or the data directory for the default.
 */
export async function createProvider(name: string, config: ProviderConfig, dataDir: string, build: BuildOptions = {}, baseDir = dataDir): Promise<Provider> {
  const timeoutMs = build.timeoutMs ?? config.timeoutMs;
  const common = { name, prefix: config.prefix, timeoutMs };
  switch (config.type) {
    case "file":
      return createFileProvider({ ...common, dir: config.dir ? resolve(baseDir, config.dir) : join(dataDir, name === "local" ? "store" : `store-${name}`) });
    case "aws": {
      const { createAwsProvider } = await import("@polyvault/provider-aws");
      return createAwsProvider({
        ...common,
        region: config.region,
        endpoint: config.endpoint,
        credentials: config.credentials,
        ...(build.fast ? { maxAttempts: 1 } : {}),
      });
    }
    case "azure": {
      const { createAzureProvider } = await import("@polyvault/provider-azure");
      return createAzureProvider({
        ...common,
        vaultUrl: config.vaultUrl,
        credential: config.credential,
        tls: config.tls,
        disableChallengeResourceVerification: config.disableChallengeResourceVerification,
      });
    }
    case "vault": {
      const { createVaultProvider } = await import("@polyvault/provider-vault");
      const ca = config.tls?.ca;
      // A PEM bundle inline, or a path to one (relative to the configuration file's directory).
      const tls = config.tls
        ? { ...config.tls, ...(ca === undefined ? {} : { ca: ca.includes("-----BEGIN") ? ca : readFileSync(resolve(baseDir, ca), "utf8") }) }
        : undefined;
      return createVaultProvider({ ...common, address: config.address, token: config.token, mount: config.mount, namespace: config.namespace, tls });
    }
  }
}
