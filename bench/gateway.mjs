#!/usr/bin/env node
/**
 * GET of one secret: `polyvault serve` (with --workers 1 and --workers 2 by default) against the Vault
 * dev server on this machine with a file audit device, under the same load generator — wrk, a C program
 * that leaves the cores to the servers — at the same connection counts, the servers alternating round by
 * round (the order reversed every other round, so a machine that gets busier does not favour one side).
 * Audit on in both (Polyvault always audits, with `fsync: always` by default; Vault's file device does not
 * fsync), bearer/token auth in both. Prints req/s, p99, the ratios and the load average of every run.
 * Run after the build, with the Vault dev server up (`npm run emulators -- up vault`) and wrk on PATH:
 *
 *   node bench/gateway.mjs [--connections 32,128] [--workers 1,2] [--duration 10] [--rounds 2] [--threads 2]
 *                          [--audit-fsync always|checkpoint] [--audit-relay] [--audit-lock] [--json]
 *
 * `--workers 2` gives each worker its own audit segment (what `serve` does); `--audit-relay` adds `--workers 2`
 * with the records sent to one writer in the primary (POLYVAULT_CLUSTER_AUDIT=relay), `--audit-lock` with
 * each worker appending to the main chain under the data directory's lock (=lock): the alternatives
 * measured in the same rounds (docs/audit.md, "Workers").
 *
 * Polyvault runs with its defaults except: the log level is `warn` (Vault writes no access log either;
 * both write one audit record per request) and the per-token rate limit is set high enough not to refuse
 * the load (its cost is still paid on every request).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startPolyvault } from "./gateway/polyvault.mjs";
import { WRK_MISSING, hasWrk, wrk } from "./gateway/wrk.mjs";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "32,128" },
    workers: { type: "string", default: "1,2" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    rounds: { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
    "audit-fsync": { type: "string", default: "always" },
    "audit-lock": { type: "boolean", default: false },
    "audit-relay": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const list = (s) => s.split(",").map(Number);
const connectionCounts = list(args.connections);
const workerCounts = list(args.workers);
const [duration, warmup, rounds, threads] = [args.duration, args.warmup, args.rounds, args.threads].map(Number);
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
const VALUE = "postgres://app:bench-value-0123456789@db:5432/app";
const log = (s) => process.stderr.write(`${s}\n`);
const load1 = () => Number(loadavg()[0].toFixed(2));

async function vault(method, path, body) {
  const r = await fetch(`${VAULT}/v1/${path}`, {
    method,
    headers: { "x-vault-token": VAULT_TOKEN, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!r.ok && r.status !== 204) throw new Error(`vault ${method} ${path}: ${r.status} ${await r.text()}`);
  return r;
}

/** One measured wrk run (after `warmup` seconds not measured), with the load average before and after. */
function measure(label, url, headers, connections) {
  if (warmup > 0) wrk({ url, headers, connections, threads, seconds: warmup });
  const before = load1();
  const r = wrk({ url, headers, connections, threads, seconds: duration });
  const after = load1();
  if (r.non2xx || r.socketErrors) throw new Error(`${label}: ${r.non2xx} non-2xx answers, ${r.socketErrors} socket errors`);
  log(
    `  ${label.padEnd(14)} c=${String(connections).padEnd(4)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  load ${before}→${after}`,
  );
  return { ...r, load: [before, after] };
}

const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;

async function main() {
  if (!hasWrk()) {
    log(WRK_MISSING);
    process.exit(2);
  }
  try {
    await vault("GET", "sys/health");
  } catch (err) {
    log(`bench: no Vault dev server at ${VAULT} (${err.message}); start it with \`npm run emulators -- up vault\``);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "pv-bench-gw-"));
  const auditPath = join(dir, "vault-audit.log");
  const device = `pvbench${Date.now().toString(36)}`;
  const gateways = [];
  try {
    const fsync = args["audit-fsync"];
    for (const w of workerCounts)
      gateways.push({ label: `w=${w}`, workers: w, ...(await startPolyvault(join(dir, `pv-w${w}`), { workers: w, fsync, value: VALUE })) });
    for (const mode of ["relay", "lock"])
      if (args[`audit-${mode}`])
        gateways.push({
          label: `w=2 ${mode}`,
          workers: 2,
          auditMode: mode,
          ...(await startPolyvault(join(dir, `pv-${mode}`), { workers: 2, fsync, value: VALUE, auditMode: mode })),
        });
    await vault("POST", "secret/data/pvbench/db-url", { data: { value: VALUE } });
    await vault("PUT", `sys/audit/${device}`, { type: "file", options: { file_path: auditPath } });
    const vaultSide = { label: "vault", url: `${VAULT}/v1/secret/data/pvbench/db-url`, headers: { "x-vault-token": VAULT_TOKEN } };
    const sides = [vaultSide, ...gateways.map((g) => ({ label: `polyvault ${g.label}`, url: g.secretUrl, headers: { authorization: `Bearer ${g.token}` } }))];
    log(
      `GET one secret; wrk -t${threads}, ${duration} s per run after ${warmup} s of warm-up, ${rounds} round(s); Polyvault audit fsync: ${args["audit-fsync"]}`,
    );
    const results = [];
    for (const connections of connectionCounts) {
      const runs = Object.fromEntries(sides.map((s) => [s.label, []]));
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? sides : [...sides].reverse();
        for (const s of order) runs[s.label].push(measure(s.label, s.url, s.headers, connections));
      }
      const v = runs.vault;
      const row = { connections, vault: { rps: mean(v, "rps"), p99: mean(v, "p99"), runs: v }, polyvault: [] };
      for (const g of gateways) {
        const p = runs[`polyvault ${g.label}`];
        const rps = mean(p, "rps");
        const p99 = mean(p, "p99");
        row.polyvault.push({
          workers: g.workers,
          auditMode: g.auditMode ?? (g.workers > 1 ? "segments" : "single"),
          rps,
          p99,
          ratio: { rps: rps / row.vault.rps, p99: p99 / row.vault.p99 },
          runs: p,
        });
      }
      results.push(row);
    }
    const out = {
      tool: "wrk",
      threads,
      durationSeconds: duration,
      rounds,
      auditFsync: args["audit-fsync"],
      vaultAuditBytes: statSync(auditPath).size,
      results,
    };
    if (args.json) console.log(JSON.stringify(out, null, 2));
    else printTable(out);
  } finally {
    await vault("DELETE", `sys/audit/${device}`).catch(() => undefined);
    await vault("DELETE", "secret/metadata/pvbench/db-url").catch(() => undefined);
    for (const g of gateways) await g.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(out) {
  const loads = out.results.flatMap((r) => [...r.vault.runs, ...r.polyvault.flatMap((p) => p.runs)]).flatMap((x) => x.load);
  console.log(
    `\nGET one secret, wrk -t${out.threads}, ${out.durationSeconds} s × ${out.rounds} rounds; load average ${Math.min(...loads)}–${Math.max(...loads)}`,
  );
  console.log("| connections | server | req/s | p99 (ms) | req/s ratio (Polyvault / Vault) | p99 ratio |");
  console.log("|---:|---|---:|---:|---:|---:|");
  for (const r of out.results) {
    console.log(`| ${r.connections} | Vault dev server, file audit | ${r.vault.rps.toFixed(0)} | ${r.vault.p99.toFixed(1)} | | |`);
    for (const p of r.polyvault)
      console.log(
        `| ${r.connections} | polyvault serve --workers ${p.workers}${{ relay: " (records to the primary's one writer)", lock: " (each worker appends under the lock)" }[p.auditMode] ?? ""} | ${p.rps.toFixed(0)} | ${p.p99.toFixed(1)} | **${p.ratio.rps.toFixed(2)}×** | ${p.ratio.p99.toFixed(2)}× |`,
      );
  }
}

await main();
