#!/usr/bin/env node
// The `polyvault` command. The TypeScript sources are compiled to dist/ by `npm ci` (root prepare step).
import { main } from "../dist/main.js";

// A reader that stops early (`polyvault secrets get X | head -c 10`) is not an error of ours.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv);
