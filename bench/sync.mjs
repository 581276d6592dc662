#!/usr/bin/env node
/**
 * Sync benchmarks (run after the build, with the provider servers up: `npm run emulators -- up aws`):
 *   (a) no-op sync of N secrets: provider calls by kind (file → file, and file → aws)
 *   (b) initial mirror of N secrets to AWS (moto) by the sync engine vs a naive sequential copy loop with
 *       the raw SDK on the same server, as a ratio, with the rate budget reported
 *   (c) failover reads once the primary's breaker is open: 32 concurrent readers, p50/p99 against the
 *       same reads with the primary up (bench/sync-failover.mjs, which runs alone with more options)
 * `node bench/sync.mjs [--count N] [--only c] [--json]` (default N = 10000; `--only c` runs (c) alone, no moto needed).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const { initMasterKey } = await import("../packages/core/dist/index.js");
const { Runtime } = await import("../packages/runtime/dist/index.js");
const { combine } = await import("../packages/sync/dist/index.js");
const { benchFailover, printFailover } = await import("./sync-failover.mjs");

const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg("--count", 10_000);
const endpoint = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const aws = { type: "aws", region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } };

async function runtime(dir, config) {
  return Runtime.open({ dataDir: dir, config, env: {}, pushOnWrite: false });
}

async function populate(rt, tenant, n) {
  const m = rt.manager(tenant);
  const names = Array.from({ length: n }, (_, i) => `bench/${String(i).padStart(6, "0")}`);
  for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map((nm) => m.set(nm, randomBytes(48).toString("base64"))));
  return names;
}

export async function benchSync({ count = COUNT } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "pv-bench-sync-"));
  const out = { count };
  try {
    (await initMasterKey(dir)).key.fill(0);
    const tenant = `b${Date.now().toString(36)}`;
    const prefix = `pvb${Date.now().toString(36)}`;
    const config = {
      providers: { local: { type: "file" }, mirror: { type: "file", dir: join(dir, "mirror") }, aws: { ...aws, prefix, concurrency: 16 } },
      routes: {
        "to-file": { source: "local", targets: ["mirror"], tenants: [tenant] },
        "to-aws": { source: "local", targets: ["aws"], tenants: [tenant] },
      },
    };
    let rt = await runtime(dir, config);
    const t0 = performance.now();
    await populate(rt, tenant, count);
    out.populateSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    const engine = await rt.sync();

    // (b) initial mirror to AWS by the engine
    let t = performance.now();
    const [mirror] = await engine.apply({ route: "to-aws" });
    const engineSeconds = (performance.now() - t) / 1000;
    out.initialMirror = {
      engineSeconds: +engineSeconds.toFixed(1),
      created: mirror.result.counts.created,
      failed: mirror.result.counts.failed,
      rateWaits: rt.gate("aws").rateWaits,
    };
    await engine.apply({ route: "to-file" });
    await rt.close();

    // (a) no-op sync: a fresh process-like runtime so the call counts are this run's only
    rt = await runtime(dir, config);
    const e2 = await rt.sync();
    t = performance.now();
    const runs = await e2.apply();
    out.noop = {
      seconds: +((performance.now() - t) / 1000).toFixed(2),
      changes: runs.reduce((a, r) => a + (r.plan?.summary.changes ?? 0), 0),
      calls: rt.calls(),
    };
    const plan = combine(await e2.plan());
    out.noop.planSummary = plan.summary;
    await rt.close();

    // (b) naive: one CreateSecret after another with the raw SDK on the same server
    const client = new SecretsManagerClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const naivePrefix = `naive${Date.now().toString(36)}`;
    t = performance.now();
    for (let i = 0; i < count; i++) {
      await client.send(new CreateSecretCommand({ Name: `${naivePrefix}/${tenant}/bench/${i}`, SecretBinary: randomBytes(152) }));
    }
    const naiveSeconds = (performance.now() - t) / 1000;
    client.destroy();
    out.initialMirror.naiveSeconds = +naiveSeconds.toFixed(1);
    out.initialMirror.ratio = +(naiveSeconds / engineSeconds).toFixed(2);

    // (c) failover reads once the primary's breaker is open: bench/sync-failover.mjs
    out.failover = await benchFailover();
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--only")) {
  const r = await benchFailover();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else printFailover(r);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSync();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`sync benchmarks, ${r.count} secrets (populate: ${r.populateSeconds} s)`);
    console.log(`(a) no-op sync of both routes: ${r.noop.seconds} s, ${r.noop.changes} changes; provider calls:`);
    for (const [p, c] of Object.entries(r.noop.calls))
      console.log(
        `    ${p.padEnd(7)} list ${c.list}  head ${c.head}  get ${c.get}  getMany ${c.getMany}  value reads ${c.valueReads}  put ${c.put}  delete ${c.delete}`,
      );
    const im = r.initialMirror;
    console.log(
      `(b) initial mirror to aws (moto): engine ${im.engineSeconds} s (${im.created} created, ${im.failed} failed, rate waits ${im.rateWaits}) vs naive sequential raw SDK ${im.naiveSeconds} s → ${im.ratio}×`,
    );
    printFailover(r.failover);
  }
}
