#!/usr/bin/env node
/**
 * GET of one secret: `polyvault serve` against the OpenBao/Vault dev server on this machine, the same
 * load tool (autocannon), the same connections and duration, audit on in both (Polyvault always audits;
 * Vault gets a file audit device for the run), bearer/token auth in both. Prints req/s and p99 side by
 * side with their ratios. Run after the build, with the Vault dev server up (`npm run emulators -- up vault`):
 *
 *   node bench/gateway.mjs [--connections 32] [--duration 10] [--rounds 2] [--audit-fsync always|checkpoint] [--json]
 *
 * Polyvault runs with its defaults except: the log level is `warn` (Vault writes no access log either;
 * both write one audit record per request) and the per-token rate limit is set high enough not to refuse
 * the load (its cost is still paid on every request).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "32" },
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "2" },
    "audit-fsync": { type: "string", default: "always" },
    json: { type: "boolean", default: false },
  },
});
const connections = Number(args.connections);
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
const BIN = resolve(import.meta.dirname, "../packages/cli/bin/polyvault.js");
const VALUE = "postgres://app:bench-value-0123456789@db:5432/app";
const log = (s) => process.stderr.write(`${s}\n`);

async function vault(method, path, body) {
  const r = await fetch(`${VAULT}/v1/${path}`, {
    method,
    headers: { "x-vault-token": VAULT_TOKEN, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!r.ok && r.status !== 204) throw new Error(`vault ${method} ${path}: ${r.status} ${await r.text()}`);
  return r;
}

/** autocannon's figures for one run; `warmup` seconds first, not measured. */
async function load(url, headers, label) {
  await autocannon({ url, headers, connections, duration: 2 });
  const r = await autocannon({ url, headers, connections, duration });
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  log(
    `  ${label.padEnd(9)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  (${r.requests.total} requests)`,
  );
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

async function startPolyvault(dir, token) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(dir, "data"), POLYVAULT_TOKEN: token };
  const init = spawnSync(process.execPath, [BIN, "init"], { cwd: dir, env, encoding: "utf8" });
  if (init.status !== 0) throw new Error(`polyvault init: ${init.stderr}`);
  writeFileSync(
    join(dir, "polyvault.yaml"),
    `providers:\n  local: { type: file }\naudit: { fsync: ${args["audit-fsync"]} }\naccess:\n  principals:\n    bench: { tokenSha256: "${createHash("sha256").update(token).digest("hex")}", roles: [{ role: admin, tenants: ["*"] }] }\n`,
  );
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--log-level", "warn", "--rate-limit", "1000000000"], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/listening on (\S+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("polyvault serve did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: /listening on (\S+)/.exec(out)[1] };
}

async function main() {
  try {
    await vault("GET", "sys/health");
  } catch (err) {
    log(`bench: no Vault/OpenBao dev server at ${VAULT} (${err.message}); start it with \`npm run emulators -- up vault\``);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "pv-bench-gw-"));
  const token = `bench-${Date.now()}`;
  const auditPath = join(dir, "vault-audit.log");
  const device = `pvbench${Date.now().toString(36)}`;
  const { child, url } = await startPolyvault(dir, token);
  try {
    const put = await fetch(`${url}/v1/tenants/bench/secrets/db%2Furl`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ value: VALUE }),
    });
    if (put.status !== 200) throw new Error(`polyvault PUT: ${put.status} ${await put.text()}`);
    await vault("POST", "secret/data/pvbench/db-url", { data: { value: VALUE } });
    await vault("PUT", `sys/audit/${device}`, { type: "file", options: { file_path: auditPath } });

    const pvUrl = `${url}/v1/tenants/bench/secrets/db%2Furl`;
    const vaultUrl = `${VAULT}/v1/secret/data/pvbench/db-url`;
    const pv = [];
    const vt = [];
    log(`GET one secret, ${connections} connections, ${duration} s per run, ${rounds} round(s); Polyvault audit fsync: ${args["audit-fsync"]}`);
    for (let i = 0; i < rounds; i++) {
      pv.push(await load(pvUrl, { authorization: `Bearer ${token}` }, "polyvault"));
      vt.push(await load(vaultUrl, { "x-vault-token": VAULT_TOKEN }, "openbao"));
    }
    const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
    const result = {
      connections,
      durationSeconds: duration,
      rounds,
      auditFsync: args["audit-fsync"],
      polyvault: { rps: mean(pv, "rps"), p99: mean(pv, "p99"), runs: pv },
      openbao: { rps: mean(vt, "rps"), p99: mean(vt, "p99"), runs: vt, auditBytes: statSync(auditPath).size },
    };
    result.ratio = { rps: result.polyvault.rps / result.openbao.rps, p99: result.polyvault.p99 / result.openbao.p99 };
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`\n| GET one secret (${connections} conn.) | req/s | p99 (ms) |`);
      console.log("|---|---:|---:|");
      console.log(`| polyvault serve (audit fsync ${args["audit-fsync"]}) | ${result.polyvault.rps.toFixed(0)} | ${result.polyvault.p99.toFixed(1)} |`);
      console.log(`| OpenBao/Vault dev server (file audit) | ${result.openbao.rps.toFixed(0)} | ${result.openbao.p99.toFixed(1)} |`);
      console.log(`| ratio polyvault / openbao | ${result.ratio.rps.toFixed(2)}× | ${result.ratio.p99.toFixed(2)}× |`);
    }
  } finally {
    await vault("DELETE", `sys/audit/${device}`).catch(() => undefined);
    await vault("DELETE", "secret/metadata/pvbench/db-url").catch(() => undefined);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
