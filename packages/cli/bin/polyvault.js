#!/usr/bin/env node
// The `polyvault` command. The TypeScript sources are compiled to dist/ by `npm ci` (root prepare step).
import { setFlagsFromString } from "node:v8";

// Commands that walk a whole tenant or store (a plan over 100,000 secrets reads 200,000 version files)
// make garbage faster than V8's default heap policy collects it: `--trace-gc` of `sync plan` over 100,000
// secrets showed 56 MB live after a full collection at a 209 MB heap, V8 having let the heap grow to four
// times what was live. V8's policy for size keeps its peak near 210 MiB instead of 310 MiB
// (docs/benchmarks.md, "Sync plan memory"). It is set before any module loads (set later it saves less)
// and only for these commands: it costs the others' start-up 0.1-0.2 s, and `serve` its speed.
const BULK = new Set(["sync", "migrate", "backup", "keys", "adopt", "audit"]);
const args = process.argv.slice(2);
if (!args.includes("serve") && args.some((a) => BULK.has(a))) setFlagsFromString("--optimize-for-size");

const { main } = await import("../dist/main.js");

// A reader that stops early (`polyvault secrets get X | head -c 10`) is not an error of ours.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv);
