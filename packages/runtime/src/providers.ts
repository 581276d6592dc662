/** Builds provider instances from configuration: the one place that knows every provider package. */
import { join } from "node:path";
import type { Provider } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import type { ProviderConfig } from "./config/schema.js";

export function createProvider(name: string, config: ProviderConfig, dataDir: string): Provider {
  switch (config.type) {
    case "file":
      return createFileProvider({ name, dir: config.dir ?? join(dataDir, name === "local" ? "store" : `store-${name}`), prefix: config.prefix, timeoutMs: config.timeoutMs });
    default:
      throw new Error(`provider type ${config.type} is not wired yet`);
  }
}
