#!/usr/bin/env node
/**
 * The cost of access-anomaly alerts (docs/anomaly-alerts.md) on this machine:
 * - observe(): rule evaluations per second for one hot principal whose windows are full (the burst and
 *   sweep windows hold the 4,096 most recent requests), and for 50 principals taking turns;
 * - a baseline write (lock, read, MAC check, merge, MAC, atomic write with fsync) for 50 such principals,
 *   in ms, and the file's size;
 * - Security.authorize() per second with and without `alerts.anomaly`, alternating rounds, as a ratio.
 * The load average is printed: on a shared machine the figures move with it.
 * Run after the build: `node bench/anomaly.mjs [--json] [--count N]`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const core = await import(new URL("../packages/core/dist/index.js", import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const count = Number(args[args.indexOf("--count") + 1]) || 100_000;
const perSec = (n, t0) => Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));

function observeRate(principals) {
  let now = Date.UTC(2026, 0, 1);
  const d = new core.AnomalyDetector(
    core.resolveAnomalyOptions({ learningHours: 0, burst: { minRequests: 4096 }, sweep: { minNames: 4096 } }),
    Buffer.alloc(32, 1),
    () => now,
  );
  for (let i = 0; i < 8192; i++) d.observe({ principal: `p${i % principals}`, tenant: "acme", name: `svc/n${i % 500}`, denied: false });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    now += 1; // 1,000 requests a second: every window stays full
    d.observe({ principal: `p${i % principals}`, tenant: "acme", name: `svc/n${i % 500}`, denied: false });
  }
  return { rate: perSec(count, t0), detector: d };
}

async function writeCost(dir) {
  const { detector } = observeRate(50);
  const file = new core.BaselineFile(dir, core.baselineKeys(dir));
  file.write(detector.state);
  const rounds = 20;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await file.update(() => detector.state);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  const { statSync } = await import("node:fs");
  return { ms: Math.round(ms * 10) / 10, bytes: statSync(file.path).size };
}

async function authorizeRate(dir, anomaly) {
  const access = { principals: { app: { tokenSha256: "0".repeat(64), roles: [{ role: "reader", tenants: ["acme"] }] } } };
  const sec = new core.Security({
    dataDir: dir,
    env: {},
    access,
    alerts: anomaly ? { webhook: "http://127.0.0.1:9/", anomaly: { learningHours: 0, offHours: { enabled: false } } } : undefined,
  });
  const n = Math.min(count, 20_000);
  await sec.authorize("app", "acme", "read", "warmup");
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await sec.authorize("app", "acme", "read", `svc/n${i % 30}`);
  const rate = perSec(n, t0);
  await sec.close();
  return rate;
}

const dir = await mkdtemp(join(tmpdir(), "pv-bench-anomaly-"));
try {
  const hot = observeRate(1).rate;
  const spread = observeRate(50).rate;
  const write = await writeCost(join(dir, "w"));
  const off = [];
  const on = [];
  for (let r = 0; r < 3; r++) {
    off.push(await authorizeRate(join(dir, `off${r}`), false));
    on.push(await authorizeRate(join(dir, `on${r}`), true));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = {
    observePerSecOneHotPrincipal: hot,
    observePerSec50Principals: spread,
    baselineWriteMs50Principals: write.ms,
    baselineFileBytes50Principals: write.bytes,
    authorizePerSecWithout: median(off),
    authorizePerSecWith: median(on),
    ratio: Math.round((median(on) / median(off)) * 100) / 100,
    loadavg: loadavg().map((x) => Math.round(x * 10) / 10),
  };
  if (json) console.log(JSON.stringify(result));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(34)} ${Array.isArray(v) ? v.join(" ") : v}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
