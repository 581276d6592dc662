#!/usr/bin/env node
/**
 * The audit log on this machine: appends per second (checkpoint every 1000 entries, signed with Ed25519),
 * one at a time and 64 in flight (group commit), under both fsync policies; and the cost of auditing a
 * SecretManager `get` on the file provider: gets per second with no steps vs with the audit step (and
 * with access control + audit), in one process, as a ratio.
 *
 * `--throughput`: only the group-commit figure of issue 12: 64 appends always in flight (each one that
 * completes is replaced at once), `fsync: always`, for `--seconds` per round; records/s, the event loop's
 * delay (perf_hooks monitorEventLoopDelay, p50/p99/max) and the batch-size distribution; with
 * `--baseline <core dist/index.js>` the same run alternates rounds with that build of the audit log
 * (e.g. main's before the change), so both are measured under the same load. The load average is printed.
 * Run after the build: `node bench/audit.mjs [--json] [--count N] [--throughput [--seconds 5] [--rounds 3] [--baseline PATH]]`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";

const core = await import(new URL("../packages/core/dist/index.js", import.meta.url));
const { createFileProvider } = await import(new URL("../packages/provider-file/dist/index.js", import.meta.url));

const perSec = (n, t0) => Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
const rec = (i) => ({ actor: "bench", tenant: "bench", action: "read", name: `s/${i}`, provider: "local", outcome: "ok" });

async function appendRate(dir, count, fsync, inFlight) {
  const log = new core.AuditLog(dir, { fsync, checkpointEvery: 1000 });
  await log.append(rec(0)); // creates the signing key outside the timing
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i += inFlight) await Promise.all(Array.from({ length: Math.min(inFlight, count - i) }, (_, k) => log.append(rec(i + k))));
  await log.close();
  const rate = perSec(count, t0);
  if (!core.verifyAuditLog(dir).ok) throw new Error("the benchmark's log does not verify");
  return rate;
}

async function getRate(manager, count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) (await manager.get(`s/${i % 100}`)).wipe();
  return perSec(count, t0);
}

export async function benchAudit({ count = 2000 } = {}) {
  const root = await mkdtemp(join(tmpdir(), "pv-bench-audit-"));
  try {
    const appends = {};
    for (const fsync of ["always", "checkpoint"]) {
      appends[fsync] = {
        sequential: await appendRate(await mkdtemp(join(root, "seq-")), count, fsync, 1),
        concurrent64: await appendRate(await mkdtemp(join(root, "conc-")), count * 5, fsync, 64),
      };
    }
    const dataDir = await mkdtemp(join(root, "get-"));
    const mk = await core.initMasterKey(dataDir);
    const keyring = await core.Keyring.open(dataDir, mk.key);
    const primary = createFileProvider({ name: "local", dir: join(dataDir, "store") });
    const tenant = core.parseTenantId("bench");
    const plain = new core.SecretManager({ tenant, keyring, primary, actor: "bench" });
    for (let i = 0; i < 100; i++) await plain.set(`s/${i}`, randomBytes(1024));
    const gets = { count };
    for (const fsync of ["always", "checkpoint"]) {
      const security = new core.Security({ dataDir: await mkdtemp(join(root, "sec-")), audit: { fsync } });
      const audited = new core.SecretManager({ tenant, keyring, primary, actor: "bench", steps: security.steps(undefined) });
      const token = "bench-token";
      const guarded = new core.Security({
        dataDir: await mkdtemp(join(root, "acc-")),
        audit: { fsync },
        access: { principals: { bench: { tokenSha256: core.tokenSha256(token), roles: [{ role: "reader", tenants: ["bench"] }] } } },
      });
      const withAccess = new core.SecretManager({ tenant, keyring, primary, steps: guarded.steps(await guarded.authenticate(token)) });
      await getRate(plain, 200); // warm-up
      const off = await getRate(plain, count);
      const on = await getRate(audited, count);
      const both = await getRate(withAccess, count);
      gets[fsync] = {
        offPerSec: off,
        auditPerSec: on,
        accessAndAuditPerSec: both,
        auditCostRatio: +(off / on).toFixed(2),
        accessAndAuditCostRatio: +(off / both).toFixed(2),
      };
      await security.close();
      await guarded.close();
    }
    keyring.close();
    return { appends, gets };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** 64 appends always in flight for `seconds`: records/s, event-loop delay, batch sizes. */
async function throughputRound(mod, dir, seconds, inFlight) {
  const batches = [];
  const log = new mod.AuditLog(dir, { fsync: "always", checkpointEvery: 1000, onBatch: (b) => batches.push(b.records) });
  await log.append(rec(0));
  batches.length = 0;
  const h = monitorEventLoopDelay({ resolution: 1 });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  h.enable();
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (Date.now() < deadline) {
      await log.append(rec(done));
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = perSec(done, t0);
  h.disable();
  await log.close();
  const v = mod.verifyAuditLog(dir);
  if (!v.ok) throw new Error(`the benchmark's log does not verify: ${v.problem}`);
  const ms = (ns) => +(ns / 1e6).toFixed(2);
  return { rate, records: done, loopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }, batches };
}

function distribution(sizes) {
  if (sizes.length === 0) return undefined;
  const sorted = [...sizes].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  const buckets = {};
  for (const n of sizes) {
    const b = n <= 1 ? "1" : n <= 8 ? "2–8" : n <= 32 ? "9–32" : n <= 63 ? "33–63" : n === 64 ? "64" : ">64";
    buckets[b] = (buckets[b] ?? 0) + 1;
  }
  return {
    batches: sizes.length,
    mean: +(sizes.reduce((a, b) => a + b, 0) / sizes.length).toFixed(1),
    p10: q(10),
    p50: q(50),
    p90: q(90),
    max: sorted.at(-1),
    buckets,
  };
}

/** This disk's fdatasync right now: median ms of 40 × (16 KiB append + fdatasync), the floor of a batch. */
async function fdatasyncMs(dir) {
  const { open } = await import("node:fs/promises");
  const fh = await open(join(dir, "probe"), "a");
  const times = [];
  const data = Buffer.alloc(16_384, 97);
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    await fh.write(data);
    await fh.datasync();
    times.push(performance.now() - t);
  }
  await fh.close();
  times.sort((a, b) => a - b);
  return +times[20].toFixed(2);
}

/** The event loop's delay with nothing to do, for as long as a round: the floor this machine's load sets. */
async function idleDelay(seconds) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  h.disable();
  return +(h.percentile(99) / 1e6).toFixed(2);
}

export async function benchThroughput({ seconds = 5, rounds = 3, inFlight = 64, baseline } = {}) {
  const root = await mkdtemp(join(tmpdir(), "pv-bench-audit-tp-"));
  const old = baseline ? await import(new URL(`file://${resolve(baseline)}`).href) : undefined;
  try {
    const runs = { current: [], baseline: [] };
    const idleP99Ms = [];
    const syncMs = [];
    for (let r = 0; r < rounds; r++) {
      idleP99Ms.push(await idleDelay(Math.min(seconds, 3)));
      syncMs.push(await fdatasyncMs(root));
      const load = loadavg()[0];
      runs.current.push({ load, ...(await throughputRound(core, await mkdtemp(join(root, "cur-")), seconds, inFlight)) });
      if (old) runs.baseline.push({ load: loadavg()[0], ...(await throughputRound(old, await mkdtemp(join(root, "old-")), seconds, inFlight)) });
    }
    const summary = (list) =>
      list.length === 0
        ? undefined
        : {
            rates: list.map((x) => x.rate),
            loads: list.map((x) => +x.load.toFixed(1)),
            loopDelayP99Ms: list.map((x) => x.loopDelayMs.p99),
            loopDelayMaxMs: list.map((x) => x.loopDelayMs.max),
            batchSizes: distribution(list.flatMap((x) => x.batches)),
          };
    return {
      inFlight,
      seconds,
      cpus: (await import("node:os")).cpus().length,
      idleP99Ms,
      fdatasyncMedianMs: syncMs,
      current: summary(runs.current),
      baseline: summary(runs.baseline),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--throughput")) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const r = await benchThroughput({ seconds: Number(arg("--seconds", 5)), rounds: Number(arg("--rounds", 3)), baseline: arg("--baseline", undefined) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
  else {
    console.log(`audit appends, ${r.inFlight} always in flight, fsync: always, ${r.seconds} s rounds alternating (${r.cpus} CPUs)`);
    console.log(`  idle process, event-loop delay p99 (the machine's floor): ${r.idleP99Ms.join(" · ")} ms`);
    console.log(
      `  fdatasync of a 16 KiB append, median: ${r.fdatasyncMedianMs.join(" · ")} ms (ceiling at ${r.inFlight} in flight: ${r.fdatasyncMedianMs.map((m) => Math.round((r.inFlight * 1000) / m)).join(" · ")}/s)`,
    );
    for (const [name, s] of Object.entries({ current: r.current, baseline: r.baseline })) {
      if (!s) continue;
      console.log(`  ${name.padEnd(8)} records/s: ${s.rates.join(" · ")}   load avg (1 min): ${s.loads.join(" · ")}`);
      console.log(`           event-loop delay p99: ${s.loopDelayP99Ms.join(" · ")} ms   max: ${s.loopDelayMaxMs.join(" · ")} ms`);
      if (s.batchSizes) console.log(`           batch sizes: ${JSON.stringify(s.batchSizes)}`);
    }
  }
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  const countArg = process.argv.indexOf("--count");
  const r = await benchAudit(countArg > 0 ? { count: Number(process.argv[countArg + 1]) } : {});
  if (json) console.log(JSON.stringify(r));
  else {
    console.log("audit log appends/s (checkpoint every 1000 entries, Ed25519-signed; every record MACed and hash-chained)");
    for (const [fsync, a] of Object.entries(r.appends))
      console.log(`  fsync=${fsync.padEnd(10)} one at a time: ${a.sequential}/s   64 in flight: ${a.concurrent64}/s`);
    console.log(`SecretManager get on the file provider, ${r.gets.count} × 1 KiB, audit off vs on`);
    for (const fsync of ["always", "checkpoint"]) {
      const g = r.gets[fsync];
      console.log(
        `  fsync=${fsync.padEnd(10)} off: ${g.offPerSec}/s   audit: ${g.auditPerSec}/s (${g.auditCostRatio}× the cost)   access+audit: ${g.accessAndAuditPerSec}/s (${g.accessAndAuditCostRatio}×)`,
      );
    }
  }
}
