#!/usr/bin/env node
// Writes docs/polyvault.schema.json from the zod schema (run after the build: `npm run schema`).
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../packages/runtime/dist/index.js";

writeFileSync(new URL("../docs/polyvault.schema.json", import.meta.url), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log("wrote docs/polyvault.schema.json");
