#!/usr/bin/env node
/**
 * Sync throughput with the state on SQLite vs PostgreSQL, and with 1 vs 3 gateway processes on one
 * PostgreSQL, on two file providers (no network). Starts its own throwaway cluster (fsync on, like
 * SQLite's synchronous=FULL). Run after the build: `node test/pg/bench-sync.mjs [--count N] [--json]`.
 *   first apply: N creates · no-op apply (best of 3): lists only · update apply: 10% of N changed
 *   3 nodes: 3 routes (one per tenant, N/3 secrets each) applied by 1 process, then by 3 at once.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster } from "./cluster.mjs";

const dist = (pkg) => new URL(`../../packages/${pkg}/dist/index.js`, import.meta.url).href;
const { Keyring, SecretManager, initMasterKey, loadMasterKey, parseTenantId } = await import(dist("core"));
const { createFileProvider } = await import(dist("provider-file"));
const { PgStateStore, SqliteStateStore, SyncEngine } = await import(dist("sync"));

const TENANTS = ["t0", "t1", "t2"].map(parseTenantId);
const routes = (dir, targetDir, perTenant) => {
  const source = createFileProvider({ name: "local", dir: join(dir, "store") });
  const target = createFileProvider({ name: "mirror", dir: join(dir, targetDir) });
  const spec = (name, tenants) => ({
    name,
    source,
    targets: [{ provider: target, encryption: "envelope" }],
    tenants,
    prune: true,
    conflict: "source-wins",
    maxDeleteFraction: 0.5,
  });
  return perTenant ? TENANTS.map((t) => spec(`r-${t}`, [t])) : [spec("all", TENANTS)];
};
const keyringOf = async (dir) => Keyring.open(dir, (await loadMasterKey({ dataDir: dir, env: {} })).key);

// Worker mode: one gateway process applying every route once (for the 3-node figure).
if (process.argv[2] === "--worker") {
  const [, , , url, dir, targetDir] = process.argv;
  const state = await PgStateStore.open(url);
  const engine = new SyncEngine({ state, keyring: await keyringOf(dir), routes: routes(dir, targetDir, true) });
  const runs = await engine.apply();
  process.stdout.write(`${JSON.stringify(runs.map((r) => ({ route: r.route, skipped: Boolean(r.skipped), created: r.result?.counts.created ?? 0 })))}\n`);
  await state.close();
  process.exit(0);
}

const args = process.argv.slice(2);
const count = Number(args[args.indexOf("--count") + 1] || 2000) || 2000;
const json = args.includes("--json");
const dir = mkdtempSync(join(tmpdir(), "pv-bench-sync-"));
await initMasterKey(dir);
const keyring = await keyringOf(dir);
const source = createFileProvider({ name: "local", dir: join(dir, "store") });
const manager = (t) => new SecretManager({ tenant: t, keyring, primary: source });
for (let i = 0; i < count; i++) await manager(TENANTS[i % 3]).set(`bench/${i}`, `value-${i}`);

const cluster = await startCluster({ fsync: true });
const results = {};
const time = async (fn) => {
  const t0 = performance.now();
  const out = await fn();
  return { ms: performance.now() - t0, out };
};
try {
  for (const [label, open] of [
    ["sqlite", async () => new SqliteStateStore(join(dir, "state.db"))],
    ["postgres", () => PgStateStore.open(cluster.createDatabase())],
  ]) {
    const state = await open();
    const engine = new SyncEngine({ state, keyring, routes: routes(dir, `mirror-${label}`, false) });
    const first = await time(() => engine.apply());
    let noopMs = Number.POSITIVE_INFINITY; // the best of three: the first one also warms the page cache
    for (let i = 0; i < 3; i++) noopMs = Math.min(noopMs, (await time(() => engine.apply())).ms);
    for (let i = 0; i < count; i += 10) await manager(TENANTS[i % 3]).set(`bench/${i}`, `value-${i}-${label}`);
    const update = await time(() => engine.apply());
    results[label] = { createPerSec: count / (first.ms / 1000), noopMs, updatePerSec: Math.ceil(count / 10) / (update.ms / 1000) };
    await state.close();
  }
  // 1 process vs 3 processes on one PostgreSQL, 3 routes.
  for (const nodes of [1, 3]) {
    const url = cluster.createDatabase();
    const targetDir = `mirror-nodes-${nodes}`;
    const { ms, out } = await time(() => Promise.all(Array.from({ length: nodes }, () => worker(url, targetDir))));
    const created = out.flat().reduce((n, r) => n + r.created, 0);
    if (created !== count) throw new Error(`${nodes} node(s) created ${created} of ${count}`);
    results[`nodes${nodes}`] = { ms, perSec: count / (ms / 1000), routesRunBy: out.map((runs) => runs.filter((r) => !r.skipped).map((r) => r.route)) };
  }
} finally {
  cluster.stop();
}

function worker(url, targetDir) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [new URL(import.meta.url).pathname, "--worker", url, dir, targetDir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`))));
  });
}

if (json) console.log(JSON.stringify({ count, ...results }, null, 2));
else {
  const f = (n) => n.toFixed(0).padStart(7);
  console.log(`sync of ${count} secrets on two file providers (short values; the file provider fsyncs every write), state store compared:`);
  console.log("store      creates/s  no-op ms  updates/s");
  for (const k of ["sqlite", "postgres"]) console.log(`${k.padEnd(9)} ${f(results[k].createPerSec)}   ${f(results[k].noopMs)}   ${f(results[k].updatePerSec)}`);
  console.log(`PostgreSQL, 3 routes: 1 process ${f(results.nodes1.perSec)}/s (${(results.nodes1.ms / 1000).toFixed(2)} s, process start included)`);
  console.log(
    `PostgreSQL, 3 routes: 3 processes ${f(results.nodes3.perSec)}/s (${(results.nodes3.ms / 1000).toFixed(2)} s); routes run per process: ${JSON.stringify(results.nodes3.routesRunBy)}`,
  );
}
