#!/usr/bin/env node
// `npm run bench -- <name> [args]`: crypto | file | providers | sync | sync-latency | audit | gateway | anomaly | failover | plan-memory | gateway-profile (see docs/benchmarks.md). Builds first.
import { spawnSync } from "node:child_process";

const [name = "crypto", ...rest] = process.argv.slice(2);
const suites = {
  crypto: ["bench/crypto.mjs", "bench/file-provider.mjs"],
  file: ["bench/file-provider.mjs"],
  providers: ["bench/providers.mjs"],
  sync: ["bench/sync.mjs"],
  "sync-latency": ["bench/sync-latency.mjs"],
  audit: ["bench/audit.mjs"],
  gateway: ["bench/gateway.mjs"],
  anomaly: ["bench/anomaly.mjs"],
  failover: ["bench/sync-failover.mjs"],
  "plan-memory": ["bench/sync-plan-memory.mjs"],
  "gateway-profile": ["bench/gateway-profile.mjs"],
};
const files = suites[name];
if (!files) {
  console.error(`bench: unknown benchmark '${name}' (known: ${Object.keys(suites).join(", ")})`);
  process.exit(2);
}
const build = spawnSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
for (const f of files) {
  const r = spawnSync(process.execPath, [f, ...rest], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
