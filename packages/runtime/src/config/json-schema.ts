/** The JSON Schema of polyvault.yaml, generated from the same zod schema that validates it. */
import { z } from "zod";
import { PolyvaultConfig } from "./schema.js";

export function configJsonSchema(): Record<string, unknown> {
  return {
    title: "polyvault.yaml",
    ...(z.toJSONSchema(PolyvaultConfig, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>),
  };
}
