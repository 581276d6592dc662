/**
 * Builds provider instances from configuration through the registry (registry.ts), which imports each
 * provider's SDK only when a configured provider needs it (the CLI starts faster).
 */
import type { Provider } from "@polyvault/core";
import { type AnyProviderConfig, type ProviderRegistry, defaultRegistry } from "./registry.js";

export interface BuildOptions {
  /** Overrides the configured timeout (failover reads use a short one). */
  readonly timeoutMs?: number | undefined;
  /** Overrides the configured retries (failover reads make one attempt). */
  readonly retries?: number | undefined;
}

/**
 * `baseDir` resolves a relative `dir` of a file provider: the configuration file's directory (so the
 * same file means the same store from any working directory), or the data directory for the default.
 */
export function createProvider(
  name: string,
  config: AnyProviderConfig,
  dataDir: string,
  build: BuildOptions = {},
  baseDir = dataDir,
  registry: ProviderRegistry = defaultRegistry,
): Promise<Provider> {
  return registry.create(config, { name, dataDir, baseDir, timeoutMs: build.timeoutMs, retries: build.retries });
}
