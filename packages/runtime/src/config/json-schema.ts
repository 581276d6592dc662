/** The JSON Schema of polyvault.yaml, generated from the same zod schema that validates it (its providers from the registry). */
import { z } from "zod";
import { type ProviderRegistry, defaultRegistry } from "../providers/registry.js";
import { configSchemaFor } from "./load.js";

export function configJsonSchema(registry: ProviderRegistry = defaultRegistry): Record<string, unknown> {
  return {
    title: "polyvault.yaml",
    ...(z.toJSONSchema(configSchemaFor(registry), { target: "draft-2020-12", io: "input" }) as Record<string, unknown>),
  };
}
