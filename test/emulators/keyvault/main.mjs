#!/usr/bin/env node
// Runs the test Key Vault as a process (test/emulators/azure.mjs starts it detached):
//   node test/emulators/keyvault/main.mjs --port 8443 --ca-file <run dir>/azure-ca.pem
// Options (flags, each also read from the environment as POLYVAULT_KEYVAULT_<NAME>):
//   --host 127.0.0.1  --port 8443  --ca-file PATH (the certificate to trust, written at start-up)
//   --transition-ms 300 (how long deletes, recoveries and purges take)
//   --budget 4000 --create-budget 300 (transactions per 10 seconds, all and secret creations)
//   --recoverable-days 90  --purge-protection (recovery level Recoverable: purge refused)
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createKeyVaultServer } from "./server.mjs";

const { values } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string" },
    "ca-file": { type: "string" },
    "transition-ms": { type: "string" },
    budget: { type: "string" },
    "create-budget": { type: "string" },
    "recoverable-days": { type: "string" },
    "purge-protection": { type: "boolean" },
  },
});
const opt = (name, fallback) => values[name] ?? process.env[`POLYVAULT_KEYVAULT_${name.toUpperCase().replaceAll("-", "_")}`] ?? fallback;
const num = (name, fallback) => {
  const n = Number(opt(name, String(fallback)));
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
};

const kv = await createKeyVaultServer({
  host: opt("host", "127.0.0.1"),
  port: num("port", 8443),
  transitionMs: num("transition-ms", 300),
  budget: { all: num("budget", 4000), create: num("create-budget", 300) },
  recoverableDays: num("recoverable-days", 90),
  purgeProtection: Boolean(values["purge-protection"]) || opt("purge-protection", "") === "1",
});
const caFile = opt("ca-file", undefined);
if (caFile) writeFileSync(caFile, kv.ca, { mode: 0o644 });
const { all, create } = kv.throttle.limits;
console.log(
  `polyvault test Key Vault listening on ${kv.url} (recovery level ${kv.vault.recoveryLevel}; budget ${all} transactions, ${create} creations per 10 s; certificate ${caFile ?? "not written"})`,
);

const stop = () => {
  kv.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
