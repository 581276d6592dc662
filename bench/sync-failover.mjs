#!/usr/bin/env node
/**
 * Failover reads once the primary's breaker is open (bench/sync.mjs section (c), also runnable alone).
 *
 * A tenant's primary (a file store) is mirrored to a second file store by a route; then the primary is
 * replaced in configuration by an AWS endpoint that refuses connections (an outage), the breaker is
 * tripped, and `readers` concurrent readers (default 32) read through `SecretManager.get` — access
 * step, audit record (the default `fsync: always`), breaker, the mirror's get, the authenticated sync
 * record, decryption — for `seconds` per round, after `warmup` seconds of the same reads (default 1.5 s: the
 * window measures a gateway that has been serving, with V8's optimised code for the read path; the warm-up's
 * own p50/p99 are printed too, as what the first seconds look like). The same process measures, alternating
 * round by round:
 *   - **healthy**: the same reads with the primary up (the baseline every ratio is taken against);
 *   - **failover**: the reads above;
 *   - with `--baseline <dir>` (a copy of another build's packages/, e.g. main before a change), the
 *     failover reads of that build too.
 * Latency is per read (p50/p99 in ms), throughput in reads/s, and the 1-minute load average per round.
 *
 * `node bench/sync-failover.mjs [--readers 32] [--seconds 4] [--warmup 1.5] [--rounds 3] [--secrets 200] [--baseline DIR] [--only healthy|failover] [--audit-fsync always|checkpoint] [--json]`
 * (`--only` skips the other kind and the ratios: for a profile, `node --cpu-prof bench/sync-failover.mjs --only failover`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const here = new URL("../packages/", import.meta.url).pathname;
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function load(packages) {
  const core = await import(join(packages, "core/dist/index.js"));
  const { Runtime } = await import(join(packages, "runtime/dist/index.js"));
  return { initMasterKey: core.initMasterKey, Runtime };
}

const closedPort = () =>
  new Promise((done) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });

/** Two configurations of one data directory: before the outage (primary up) and during it. */
async function configs(dir, tenant, auditFsync) {
  const mirror = { type: "file", dir: join(dir, "mirror") };
  const route = { r: { source: "primary", targets: ["mirror"], tenants: [tenant] } };
  const up = {
    providers: { primary: { type: "file", dir: join(dir, "primary") }, mirror },
    tenants: { [tenant]: { primary: "primary", mirrors: ["mirror"] } },
    routes: route,
    ...(auditFsync ? { audit: { fsync: auditFsync } } : {}),
  };
  const dead = {
    type: "aws",
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  return { up, down: { ...up, providers: { ...up.providers, primary: dead } } };
}

/** Populates the primary and mirrors it (the setup, untimed). */
async function prepare(lib, secrets, auditFsync) {
  const dir = await mkdtemp(join(tmpdir(), "pv-bench-failover-"));
  (await lib.initMasterKey(dir)).key.fill(0);
  const tenant = `f${Date.now().toString(36)}`;
  const cfg = await configs(dir, tenant, auditFsync);
  const rt = await lib.Runtime.open({ dataDir: dir, config: cfg.up, env: {}, pushOnWrite: false });
  const m = rt.manager(tenant);
  const names = Array.from({ length: secrets }, (_, i) => `bench/${String(i).padStart(5, "0")}`);
  for (let i = 0; i < names.length; i += 32) await Promise.all(names.slice(i, i + 32).map((n) => m.set(n, `value-${n}-${"x".repeat(40)}`)));
  const [run] = await (await rt.sync()).apply({ route: "r" });
  if (run.result.counts.created !== secrets) throw new Error(`setup: mirrored ${run.result.counts.created} of ${secrets}`);
  await rt.close();
  return { dir, tenant, cfg, names };
}

/** `readers` loops reading for `seconds`; every read is checked for where it came from. */
async function readLoad(manager, names, { readers, seconds, stale }) {
  const lat = [];
  const until = performance.now() + seconds * 1000;
  let k = 0;
  const reader = async () => {
    while (performance.now() < until) {
      const name = names[k++ % names.length];
      const t = performance.now();
      const v = await manager.get(name);
      lat.push(performance.now() - t);
      if (v.stale !== stale) throw new Error(`read of ${name}: stale ${v.stale}, expected ${stale}`);
      v.wipe();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: readers }, reader));
  const elapsed = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return {
    reads: lat.length,
    perSecond: Math.round(lat.length / elapsed),
    p50Ms: +pct(lat, 50).toFixed(2),
    p99Ms: +pct(lat, 99).toFixed(2),
    load: +loadavg()[0].toFixed(2),
  };
}

/** One round of one kind on a fresh runtime (as a restarted gateway would be). */
async function round(lib, setup, kind, opts) {
  const config = kind === "healthy" ? setup.cfg.up : setup.cfg.down;
  const rt = await lib.Runtime.open({ dataDir: setup.dir, config, env: {}, pushOnWrite: false });
  try {
    const m = rt.manager(setup.tenant);
    let first;
    if (kind !== "healthy") {
      // Trip the breaker: the first reads fail over after a refused connection each.
      const t = performance.now();
      (await m.get(setup.names[0])).wipe();
      first = +(performance.now() - t).toFixed(2);
      for (let i = 0; i < 10 && rt.gate("primary").breakerState !== "open"; i++) (await m.get(setup.names[0])).wipe();
      if (rt.gate("primary").breakerState !== "open") throw new Error("the primary's breaker did not open");
    }
    // Warm-up: the same load for `warmup` seconds before the measured window, so that the window measures the
    // steady state of a gateway that has been reading (V8 has compiled the read path, the caches are full).
    // Its own figures are kept and printed: they are what the first seconds after an outage look like.
    const warm = opts.warmup > 0 ? await readLoad(m, setup.names, { ...opts, seconds: opts.warmup, stale: kind !== "healthy" }) : undefined;
    const measured = await readLoad(m, setup.names, { ...opts, stale: kind !== "healthy" });
    return {
      ...measured,
      ...(first === undefined ? {} : { firstMs: first }),
      ...(warm ? { warmup: { seconds: opts.warmup, p50Ms: warm.p50Ms, p99Ms: warm.p99Ms, perSecond: warm.perSecond } } : {}),
    };
  } finally {
    await rt.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFailover({ readers = 32, seconds = 4, warmup = 1.5, rounds = 3, secrets = 200, baseline, only, auditFsync } = {}) {
  const current = await load(here);
  const old = baseline ? await load(resolve(baseline)) : undefined;
  const setup = await prepare(current, secrets, auditFsync);
  const runs = { healthy: [], failover: [], ...(old ? { baselineFailover: [] } : {}) };
  try {
    for (let r = 0; r < rounds; r++) {
      if (only !== "failover") runs.healthy.push(await round(current, setup, "healthy", { readers, seconds, warmup }));
      if (only !== "healthy") runs.failover.push(await round(current, setup, "failover", { readers, seconds, warmup }));
      if (old) runs.baselineFailover.push(await round(old, setup, "failover", { readers, seconds, warmup }));
    }
  } finally {
    await rm(setup.dir, { recursive: true, force: true });
  }
  const sum = (xs) => ({
    p50Ms: median(xs.map((x) => x.p50Ms)),
    p99Ms: median(xs.map((x) => x.p99Ms)),
    perSecond: median(xs.map((x) => x.perSecond)),
    ...(xs[0]?.warmup ? { warmupP99Ms: median(xs.map((x) => x.warmup.p99Ms)) } : {}),
    rounds: xs,
  });
  const out = {
    readers,
    seconds,
    warmup,
    secrets,
    ...Object.fromEntries(
      Object.entries(runs)
        .filter(([, v]) => v.length)
        .map(([k, v]) => [k, sum(v)]),
    ),
  };
  if (only) return out;
  out.ratio = {
    p99VsHealthy: +(out.failover.p99Ms / out.healthy.p99Ms).toFixed(2),
    ...(old ? { p99VsBaseline: +(out.failover.p99Ms / out.baselineFailover.p99Ms).toFixed(2) } : {}),
  };
  return out;
}

export function printFailover(r, log = console.log) {
  log(
    `(c) failover reads once the primary's breaker is open: ${r.readers} concurrent readers, ${r.seconds} s × ${r.failover.rounds.length} rounds, ${r.secrets} secrets`,
  );
  for (const [kind, s] of Object.entries(r).filter(([, v]) => v?.rounds)) {
    const each = s.rounds
      .map(
        (x) =>
          `${x.p50Ms}/${x.p99Ms} ms ${x.perSecond}/s load ${x.load}${x.firstMs === undefined ? "" : ` first ${x.firstMs} ms`}${x.warmup ? ` (warm-up ${x.warmup.p50Ms}/${x.warmup.p99Ms} ms)` : ""}`,
      )
      .join(" · ");
    log(`    ${kind.padEnd(16)} median p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  ${s.perSecond} reads/s   [${each}]`);
    if (s.warmupP99Ms !== undefined) log(`    ${"".padEnd(16)} the ${r.warmup} s of warm-up before each window: median p99 ${s.warmupP99Ms} ms`);
  }
  if (r.ratio)
    log(
      `    p99 ratio: failover/healthy ${r.ratio.p99VsHealthy}×${r.ratio.p99VsBaseline === undefined ? "" : `, failover/baseline build ${r.ratio.p99VsBaseline}×`}`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag, fallback) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const r = await benchFailover({
    readers: Number(arg("--readers", 32)),
    seconds: Number(arg("--seconds", 4)),
    warmup: Number(arg("--warmup", 1.5)),
    rounds: Number(arg("--rounds", 3)),
    secrets: Number(arg("--secrets", 200)),
    baseline: arg("--baseline", undefined),
    only: arg("--only", undefined),
    auditFsync: arg("--audit-fsync", undefined),
  });
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else printFailover(r);
}
