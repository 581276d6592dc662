/** The file provider's descriptor (see core's descriptor.ts): configuration, location, factory. */
import { join, resolve } from "node:path";
import { commonOptions, defineProvider, providerConfigSchema } from "@polyvault/core";
import { z } from "zod";

export const fileConfigSchema = providerConfigSchema("file", {
  /** The store's directory, relative to the configuration file (default <data-dir>/store, or store-<name>). */
  dir: z.string().min(1).optional(),
  /** Keep recently read secrets, checked with two `stat`s per read (default true); false for a network file system. */
  readCache: z.boolean().optional(),
});

export const fileProvider = defineProvider({
  type: "file",
  schema: fileConfigSchema,
  location: () => "local",
  async create(config, ctx) {
    const { createFileProvider } = await import("./index.js");
    const dir = config.dir ? resolve(ctx.baseDir, config.dir) : join(ctx.dataDir, ctx.name === "local" ? "store" : `store-${ctx.name}`);
    return createFileProvider({ ...commonOptions(config, ctx), dir, ...(config.readCache === undefined ? {} : { readCache: config.readCache }) });
  },
});
