#!/usr/bin/env node
/**
 * Where the time of one GET goes: `polyvault serve` under `node --cpu-prof`, loaded with GETs of one
 * secret by wrk (a C load generator: it leaves the cores to the server), then the profile grouped by
 * layer (bench/cpu-profile.mjs): HTTP (node, fastify), auth, audit, crypto, manager, provider, …
 * The set-up is bench/gateway.mjs's (file provider, `access` on with one admin token, audit on with
 * `fsync: always`, log level warn, a rate limit too high to refuse the load) without the Vault side.
 * Also prints, in the same run, the server's req/s and latency under the profiler and without it (the
 * profiler's own cost), with the load average.
 *
 * `node bench/gateway-profile.mjs [--connections 32] [--workers N (default: serve's, one per core)] [--duration 10] [--top 25] [--keep-profile DIR] [--json]`
 * (after the build; needs wrk on PATH: `apt-get install -y wrk`).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { printProfile, summarizeProfile } from "./cpu-profile.mjs";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "32" },
    workers: { type: "string" },
    duration: { type: "string", default: "10" },
    top: { type: "string", default: "25" },
    "keep-profile": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const BIN = resolve(import.meta.dirname, "../packages/cli/bin/polyvault.js");
const log = (s) => process.stderr.write(`${s}\n`);

async function serve(dir, token, profileDir) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(dir, "data"), POLYVAULT_TOKEN: token };
  const flags = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const workers = args.workers === undefined ? [] : ["--workers", args.workers];
  const child = spawn(process.execPath, [...flags, BIN, "serve", "--port", "0", "--log-level", "warn", "--rate-limit", "1000000000", ...workers], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 60_000;
  while (!/listening on (\S+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("polyvault serve did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: /listening on (\S+)/.exec(out)[1] };
}

function wrk(url, token, seconds) {
  const r = spawnSync("wrk", ["-t1", `-c${args.connections}`, `-d${seconds}s`, "--latency", "-H", `Authorization: Bearer ${token}`, url], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`wrk: ${r.error?.message ?? r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(r.stdout);
    return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : Number.NaN;
  };
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1];
  if (bad) throw new Error(`wrk: ${bad} non-2xx answers`);
  return { rps: Math.round(rps), p50Ms: ms("50"), p99Ms: ms("99"), load: +loadavg()[0].toFixed(2) };
}

async function round(base, token, profileDir) {
  const dir = mkdtempSync(join(tmpdir(), "pv-gwprof-run-"));
  cpSync(base, dir, { recursive: true });
  const { child, url } = await serve(dir, token, profileDir);
  try {
    const target = `${url}/v1/tenants/bench/secrets/db%2Furl`;
    wrk(target, token, 2); // warm-up
    return wrk(target, token, Number(args.duration));
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const base = mkdtempSync(join(tmpdir(), "pv-gwprof-"));
  const token = `bench-${Date.now()}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(base, "data"), POLYVAULT_TOKEN: token };
  const profiles = mkdtempSync(join(tmpdir(), "pv-gwprof-cpu-"));
  try {
    const init = spawnSync(process.execPath, [BIN, "init"], { cwd: base, env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`polyvault init: ${init.stderr}`);
    const sha = createHash("sha256").update(token).digest("hex");
    writeFileSync(
      join(base, "polyvault.yaml"),
      `providers:\n  local: { type: file }\naudit: { fsync: always }\naccess:\n  principals:\n    bench: { tokenSha256: "${sha}", roles: [{ role: admin, tenants: ["*"] }] }\n`,
    );
    const set = spawnSync(process.execPath, [BIN, "secrets", "set", "db/url", "--tenant", "bench", "--value-stdin"], {
      cwd: base,
      env,
      input: "postgres://app:bench-value-0123456789@db:5432/app",
      encoding: "utf8",
    });
    if (set.status !== 0) throw new Error(`polyvault secrets set: ${set.stderr}`);
    log(`GET one secret, wrk -c${args.connections}, ${args.duration} s per run: without the profiler, then with it`);
    const plain = await round(base, token, undefined);
    log(`  plain:    ${plain.rps} req/s  p50 ${plain.p50Ms} ms  p99 ${plain.p99Ms} ms  load ${plain.load}`);
    const profiled = await round(base, token, profiles);
    log(`  profiled: ${profiled.rps} req/s  p50 ${profiled.p50Ms} ms  p99 ${profiled.p99Ms} ms  load ${profiled.load}`);
    // One profile per process: with --workers N, the primary (the audit writer) and each worker.
    const files = readdirSync(profiles).filter((f) => f.endsWith(".cpuprofile"));
    if (files.length === 0) throw new Error("no CPU profile was written");
    if (args["keep-profile"]) for (const f of files) cpSync(join(profiles, f), join(resolve(args["keep-profile"]), f));
    const summaries = files.map((f) => ({ file: f, ...summarizeProfile(join(profiles, f), Number(args.top)) }));
    const result = {
      connections: Number(args.connections),
      workers: args.workers === undefined ? `default (${availableParallelism()})` : Number(args.workers),
      seconds: Number(args.duration),
      plain,
      profiled,
      profilerCost: +(plain.rps / profiled.rps).toFixed(2),
      profiles: summaries,
    };
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(
        `GET one secret under wrk -c${result.connections}, --workers ${result.workers}: ${plain.rps} req/s plain, ${profiled.rps} req/s profiled (profiler ×${result.profilerCost})`,
      );
      for (const summary of summaries) {
        console.log(`\nprocess ${summary.file}:`);
        printProfile(summary);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(profiles, { recursive: true, force: true });
  }
}

await main();
