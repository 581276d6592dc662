#!/usr/bin/env node
/**
 * The sync engine at cloud latency (docs/benchmarks.md, "Sync at cloud latency"): toxiproxy adds 25 ms
 * each way in front of moto and the Vault server, and the initial mirror of N secrets (default 10,000)
 * from the file provider is timed
 *   (a) by the sync engine (default gate: 16 calls in flight), against a naive sequential loop with the
 *       raw SDK (CreateSecret / node-vault write, one after another) through the same proxy, as a ratio;
 *   (b) by the engine with `rateLimit: { perSecond: 50, burst: 1 }`: the measured write rate over the
 *       whole mirror, as a share of the budget, and the most writes started in any one-second window.
 * `npm run bench -- sync-latency [--count N] [--rate-count N] [--naive-count N] [--only aws|vault] [--concurrency N] [--json]`
 * (after the build, with moto and Vault up; toxiproxy is started if it is not running).
 * What it creates in moto is deleted at the end (directly, not through the proxy).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateSecretCommand, DeleteSecretCommand, ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import NodeVault from "node-vault";
import * as toxiproxy from "../test/fault/toxiproxy.mjs";

const { initMasterKey } = await import("../packages/core/dist/index.js");
const { Runtime } = await import("../packages/runtime/dist/index.js");

const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const COUNT = Number(arg("--count", 10_000));
const RATE_COUNT = Number(arg("--rate-count", COUNT));
const NAIVE_COUNT = Number(arg("--naive-count", COUNT));
const ONLY = arg("--only", undefined);
// The gate's calls in flight per provider (the `concurrency` provider option); unset: its default, 16.
const CONCURRENCY = arg("--concurrency", undefined) === undefined ? undefined : Number(arg("--concurrency"));
const LATENCY_MS = 25;
const BUDGET = 50;
const AWS = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const creds = { accessKeyId: "test", secretAccessKey: "test" };
const log = (...a) => console.error(`[sync-latency ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** A toxiproxy proxy in front of `url` with LATENCY_MS each way; returns the proxied URL. */
async function slowed(name, url) {
  const u = new URL(url);
  const p = await toxiproxy.createProxy(name, `${u.hostname}:${u.port}`);
  for (const stream of ["upstream", "downstream"])
    await toxiproxy.addToxic(name, { type: "latency", stream, toxicity: 1, attributes: { latency: LATENCY_MS, jitter: 0 } });
  return `http://${p.listen}`;
}

const target = (type, url, prefix, extra = {}) =>
  type === "aws"
    ? { type, region: "us-east-1", endpoint: url, credentials: creds, prefix, timeoutMs: 30_000, ...extra }
    : { type, address: url, token: VAULT_TOKEN, mount: "secret", prefix, timeoutMs: 30_000, ...extra };

/** How many secrets moto holds before the run (its lookups scan all of them: the figure depends on it). */
async function motoHolds() {
  const c = new SecretsManagerClient({ region: "us-east-1", endpoint: AWS, credentials: creds });
  let n = 0;
  let token;
  do {
    const page = await c.send(new ListSecretsCommand({ MaxResults: 100, NextToken: token }));
    n += page.SecretList?.length ?? 0;
    token = page.NextToken;
  } while (token);
  c.destroy();
  return n;
}

/** Mirrors the tenant's N secrets to a fresh target through the engine; counts put starts per second. */
async function engineMirror(dir, tenant, type, url, prefix, extra, names) {
  // A route of its own per run (named after the prefix), so no sync state is shared between runs.
  const config = {
    providers: { local: { type: "file" }, t: target(type, url, prefix, extra) },
    routes: { [prefix]: { source: "local", targets: ["t"], tenants: [tenant] } },
  };
  const rt = await Runtime.open({ dataDir: dir, config, env: {}, pushOnWrite: false });
  try {
    const engine = await rt.sync();
    const t0 = performance.now();
    const [run] = await engine.apply({ route: prefix, names });
    const seconds = (performance.now() - t0) / 1000;
    const puts = rt.calls().t.put;
    log(`${type}: calls ${JSON.stringify(rt.calls().t)}`);
    const { created, updated, failed } = run.result.counts;
    // Why writes failed, by error code and first message (names and values are not in these).
    if (failed > 0)
      log(
        `${type}: ${failed} failed, e.g. ${JSON.stringify(run.result.errors?.[0] ?? run.result.items?.find((i) => i.error)?.error ?? run.result).slice(0, 400)}`,
      );
    return { seconds: +seconds.toFixed(1), created, updated, failed, puts, rate: +(puts / seconds).toFixed(2) };
  } finally {
    await rt.close();
  }
}

async function naive(type, url, prefix, tenant, n) {
  const t0 = performance.now();
  if (type === "aws") {
    const client = new SecretsManagerClient({ region: "us-east-1", endpoint: url, credentials: creds, maxAttempts: 1 });
    for (let i = 0; i < n; i++) await client.send(new CreateSecretCommand({ Name: `${prefix}/${tenant}/naive/${i}`, SecretBinary: randomBytes(152) }));
    client.destroy();
  } else {
    const v = NodeVault({ endpoint: url, token: VAULT_TOKEN });
    for (let i = 0; i < n; i++) await v.write(`secret/data/${prefix}/${tenant}/naive/${i}`, { data: { v: randomBytes(152).toString("base64") } });
  }
  return +((performance.now() - t0) / 1000).toFixed(1);
}

/**
 * When each secret under `prefix` was created, by the server's clock (read directly, not through the
 * proxy): moto's CreatedDate has one-second resolution, Vault's created_time nanoseconds.
 */
async function landed(type, prefix) {
  const times = [];
  if (type === "aws") {
    const c = new SecretsManagerClient({ region: "us-east-1", endpoint: AWS, credentials: creds });
    let token;
    do {
      const page = await c.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [prefix] }], MaxResults: 100, NextToken: token }));
      for (const s of page.SecretList ?? []) if (s.Name?.startsWith(prefix) && s.CreatedDate) times.push(s.CreatedDate.getTime());
      token = page.NextToken;
    } while (token);
    c.destroy();
  } else {
    const v = NodeVault({ endpoint: VAULT, token: VAULT_TOKEN });
    const walk = async (path) => {
      const keys = await v.list(`secret/metadata/${path}`).then(
        (r) => r.data.keys,
        () => [],
      );
      for (let i = 0; i < keys.length; i += 32)
        await Promise.all(
          keys.slice(i, i + 32).map(async (k) => {
            if (k.endsWith("/")) return walk(`${path}${k}`);
            const m = await v.read(`secret/metadata/${path}${k}`);
            times.push(Date.parse(m.data.created_time));
          }),
        );
    };
    await walk(`${prefix}/`);
  }
  return times.sort((a, b) => a - b);
}

/** The most creations within any one second: calendar seconds for moto (whole-second clock), sliding for Vault. */
function busiestSecond(type, times) {
  let best = 0;
  if (type === "aws") {
    const per = new Map();
    for (const t of times) per.set(Math.floor(t / 1000), (per.get(Math.floor(t / 1000)) ?? 0) + 1);
    for (const n of per.values()) best = Math.max(best, n);
    return best;
  }
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Removes what a run created under `prefix` (moto keeps everything in memory; Vault's dev server too). */
async function cleanUp(type, prefix) {
  if (type === "aws") {
    const c = new SecretsManagerClient({ region: "us-east-1", endpoint: AWS, credentials: creds });
    let token;
    const names = [];
    do {
      const page = await c.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [`${prefix}`] }], MaxResults: 100, NextToken: token }));
      names.push(...(page.SecretList ?? []).map((s) => s.Name).filter((nm) => nm?.startsWith(prefix)));
      token = page.NextToken;
    } while (token);
    for (let i = 0; i < names.length; i += 32)
      await Promise.all(
        names.slice(i, i + 32).map((nm) => c.send(new DeleteSecretCommand({ SecretId: nm, ForceDeleteWithoutRecovery: true })).catch(() => undefined)),
      );
    c.destroy();
  } else {
    const v = NodeVault({ endpoint: VAULT, token: VAULT_TOKEN });
    const walk = async (path) => {
      const keys = await v.list(`secret/metadata/${path}`).then(
        (r) => r.data.keys,
        () => [],
      );
      for (const k of keys) {
        if (k.endsWith("/")) await walk(`${path}${k}`);
        else await v.delete(`secret/metadata/${path}${k}`).catch(() => undefined);
      }
    };
    for (const p of ["e", "n", "r"]) await walk(`${prefix}${p}/`);
  }
}

export async function benchSyncLatency() {
  const before = await toxiproxy.status();
  await toxiproxy.start();
  const dir = await mkdtemp(join(tmpdir(), "pv-bench-latency-"));
  const run = `lat${Date.now().toString(36)}`;
  const out = {
    count: COUNT,
    rateCount: RATE_COUNT,
    naiveCount: NAIVE_COUNT,
    latencyMsEachWay: LATENCY_MS,
    budgetPerSecond: BUDGET,
    concurrency: CONCURRENCY ?? "default (16)",
    results: {},
  };
  const proxies = [];
  try {
    (await initMasterKey(dir)).key.fill(0);
    const tenant = `b${run}`;
    const seed = await Runtime.open({ dataDir: dir, config: { providers: { local: { type: "file" } } }, env: {}, pushOnWrite: false });
    const names = Array.from({ length: COUNT }, (_, i) => `bench/${String(i).padStart(6, "0")}`);
    log(`populating ${COUNT} secrets in the file store`);
    for (let i = 0; i < names.length; i += 64)
      await Promise.all(names.slice(i, i + 64).map((nm) => seed.manager(tenant).set(nm, randomBytes(48).toString("base64"))));
    // The budgeted mirror copies a whole tenant of RATE_COUNT secrets (one listing, as the full mirror):
    // naming a subset of a larger tenant would make the engine read a head per name, through the same
    // budget, and halve the write rate it measures.
    const rateTenant = RATE_COUNT < COUNT ? `${tenant}r` : tenant;
    if (rateTenant !== tenant)
      for (let i = 0; i < RATE_COUNT; i += 64)
        await Promise.all(names.slice(i, Math.min(i + 64, RATE_COUNT)).map((nm) => seed.manager(rateTenant).set(nm, randomBytes(48).toString("base64"))));
    await seed.close();
    for (const type of ["aws", "vault"].filter((t) => !ONLY || t === ONLY)) {
      const url = await slowed(`pv-${run}-${type}`, type === "aws" ? AWS : VAULT);
      proxies.push(`pv-${run}-${type}`);
      const r = {};
      // Routes, prefixes and sync state of their own per provider: the route name is the key of its
      // sync records, and a route that found AWS's records would be stopped by the mass-overwrite guard.
      const tag = `${run}${type[0]}`;
      const gate = CONCURRENCY === undefined ? {} : { concurrency: CONCURRENCY };
      if (type === "aws") {
        r.motoHeldBefore = await motoHolds();
        log(`aws: moto holds ${r.motoHeldBefore} secrets before the run`);
      }
      try {
        log(`${type}: engine, initial mirror of ${COUNT}`);
        r.engine = await engineMirror(dir, tenant, type, url, `${tag}e`, gate, undefined);
        log(`${type}: engine ${JSON.stringify(r.engine)}`);
        log(`${type}: naive sequential raw SDK, ${NAIVE_COUNT}`);
        r.naiveSeconds = await naive(type, url, `${tag}n`, tenant, NAIVE_COUNT);
        r.naiveSecondsFor = NAIVE_COUNT;
        const perSecretNaive = r.naiveSeconds / NAIVE_COUNT;
        r.ratio = +((perSecretNaive * COUNT) / r.engine.seconds).toFixed(2);
        log(`${type}: naive ${r.naiveSeconds} s for ${NAIVE_COUNT} → ratio ${r.ratio}×`);
        log(`${type}: engine with a budget of ${BUDGET} writes/s, ${RATE_COUNT}`);
        r.budgeted = await engineMirror(dir, rateTenant, type, url, `${tag}r`, { ...gate, rateLimit: { perSecond: BUDGET, burst: 1 } }, undefined);
        r.budgeted.shareOfBudget = +(r.budgeted.rate / BUDGET).toFixed(3);
        const times = await landed(type, `${tag}r`);
        r.budgeted.landed = times.length;
        r.budgeted.busiestSecond = busiestSecond(type, times);
        // The server's view: creations per second from the first to the last one.
        if (times.length > 1) r.budgeted.serverRate = +((times.length - 1) / ((times.at(-1) - times[0]) / 1000)).toFixed(2);
        log(`${type}: budgeted ${JSON.stringify(r.budgeted)}`);
      } finally {
        log(`${type}: cleaning up`);
        await cleanUp(type, tag).catch((e) => log(`clean-up failed: ${e.message}`));
      }
      out.results[type] = r;
    }
    return out;
  } finally {
    for (const p of proxies) await toxiproxy.deleteProxy(p);
    if (before.state !== "up") await toxiproxy.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSyncLatency();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`sync at cloud latency: ${r.latencyMsEachWay} ms each way (toxiproxy), ${r.count} secrets, gate concurrency ${r.concurrency}`);
    for (const [type, x] of Object.entries(r.results)) {
      console.log(
        `  ${type}: ${x.motoHeldBefore === undefined ? "" : `(moto held ${x.motoHeldBefore} secrets) `}engine ${x.engine.seconds} s (${x.engine.created + x.engine.updated} written, ${x.engine.failed} failed) vs naive ${x.naiveSeconds} s for ${x.naiveSecondsFor} → ${x.ratio}×`,
      );
      console.log(
        `  ${type}: budget ${r.budgetPerSecond}/s: ${x.budgeted.puts} writes in ${x.budgeted.seconds} s = ${x.budgeted.rate}/s (${(x.budgeted.shareOfBudget * 100).toFixed(1)} % of budget); server clock: ${x.budgeted.serverRate}/s, busiest second ${x.budgeted.busiestSecond}`,
      );
    }
  }
}
