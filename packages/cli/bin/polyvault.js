#!/usr/bin/env node
// The `polyvault` command. The TypeScript sources are compiled to dist/ by `npm ci` (root prepare step).
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv);
