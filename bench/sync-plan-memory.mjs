#!/usr/bin/env node
/**
 * `sync plan` over one tenant of N secrets (default 100,000): the peak memory of the real command.
 *
 * Set-up (untimed, through the library, not the CLI): a file-provider source and a file-provider
 * target; every secret written to both by SecretManagers with no operation steps, and the route's state
 * record of each (signed, as the sync writes it), so the plan is the steady state of a mirrored tenant:
 * N no-ops, with the source's heads, the target's heads and N records to compare — the most a plan of
 * this tenant ever holds. Then `polyvault sync plan --json` runs in a child process, and its peak
 * resident set (process.resourceUsage().maxRSS, read at exit by a preloaded module) is printed against,
 * in the same run, the peak of the same command planning a tenant with no secrets (its floor: start-up,
 * keys, state, providers) and, with `--baseline <packages dir>`, the plan of another build.
 *
 * `node bench/sync-plan-memory.mjs [--count 100000] [--dir DIR] [--baseline DIR] [--keep] [--json]`
 * DIR defaults to /dev/shm where it exists (the set-up writes 2N files; fsync costs nothing there).
 * `--keep` leaves the data directory for another run (`--dir` it again: the set-up is skipped).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const here = new URL("../packages/", import.meta.url).pathname;
const preload = new URL("./rss-at-exit.mjs", import.meta.url).href;
const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : fallback;
};

const TENANT = "bigtenant";
const config = (dir) => ({
  providers: { local: { type: "file", dir: join(dir, "store") }, mirror: { type: "file", dir: join(dir, "mirror") } },
  tenants: { [TENANT]: { primary: "local" } },
  routes: { r: { source: "local", targets: ["mirror"], tenants: [TENANT] } },
});

async function populate(dir, count, log) {
  const core = await import(join(here, "core/dist/index.js"));
  const { Runtime } = await import(join(here, "runtime/dist/index.js"));
  (await core.initMasterKey(dir)).key.fill(0);
  await writeFile(join(dir, "polyvault.yaml"), JSON.stringify(config(dir), null, 2));
  const rt = await Runtime.open({ dataDir: dir, config: config(dir), env: {}, pushOnWrite: false });
  try {
    const managers = ["local", "mirror"].map((p) => new core.SecretManager({ tenant: TENANT, keyring: rt.keyring, primary: rt.provider(p) }));
    const t0 = performance.now();
    const name = (i) => `app/${String(i % 100).padStart(2, "0")}/secret-${String(i).padStart(6, "0")}`;
    for (let i = 0; i < count; i += 64) {
      const batch = Array.from({ length: Math.min(64, count - i) }, (_, k) => name(i + k));
      await Promise.all(batch.flatMap((n) => managers.map((m) => m.set(n, `value of ${n}: ${"v".repeat(32)}`))));
      if ((i + 64) % 10_000 < 64)
        log(`  set-up: ${Math.min(i + 64, count)} of ${count} secrets written twice (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const state = await rt.state();
    let n = 0;
    for await (const h of core.listAll(rt.provider("mirror"), TENANT, 1000)) {
      await state.upsert({
        route: "r",
        target: "mirror",
        tenant: TENANT,
        name: h.name,
        sourceDigest: h.metadata["pv-digest"],
        sourceRevision: 1,
        targetVersion: h.version,
        syncedAt: new Date(),
      });
      n++;
    }
    log(`  set-up: ${n} sync records (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    await rt.close();
  }
}

/** Runs the CLI of `packages` in a child process; returns its exit code, peak RSS (KiB) and stdout. */
function cli(packages, dir, args) {
  return new Promise((done, fail) => {
    const bin = join(packages, "cli/bin/polyvault.js");
    const child = spawn(process.execPath, ["--import", preload, bin, ...args, "--json", "--data-dir", dir, "--config", join(dir, "polyvault.yaml")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, POLYVAULT_TOKEN: "" },
    });
    const out = [];
    let err = "";
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => {
      err += d;
    });
    const t0 = performance.now();
    child.on("error", fail);
    child.on("close", (code) => {
      const rss = /PV_MAXRSS=(\d+)/.exec(err)?.[1];
      if (rss === undefined) return fail(new Error(`${args.join(" ")}: no peak RSS reported (exit ${code}): ${err.slice(-500)}`));
      done({
        code,
        maxRssMiB: Math.round(Number(rss) / 1024),
        seconds: +((performance.now() - t0) / 1000).toFixed(1),
        stdout: Buffer.concat(out).toString("utf8"),
        load: +loadavg()[0].toFixed(2),
      });
    });
  });
}

export async function benchPlanMemory({ count = 100_000, dir, baseline, keep = false, log = console.log } = {}) {
  const root = dir ?? (await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "pv-bench-plan-")));
  await mkdir(root, { recursive: true });
  try {
    if (!existsSync(join(root, "polyvault.yaml"))) await populate(root, count, log);
    const floor = await cli(here, root, ["sync", "plan", "--tenant", "nobody-here"]);
    const plan = await cli(here, root, ["sync", "plan"]);
    if (plan.code !== 0 || floor.code !== 0) throw new Error(`sync plan exited ${plan.code} (floor: ${floor.code})`);
    const { actions, summary } = JSON.parse(plan.stdout);
    const out = {
      count,
      planned: actions.length,
      summary,
      plan: { maxRssMiB: plan.maxRssMiB, seconds: plan.seconds, load: plan.load, outputMiB: +(plan.stdout.length / 2 ** 20).toFixed(1) },
      floor: { command: "sync plan --tenant nobody-here", maxRssMiB: floor.maxRssMiB, load: floor.load },
      ratioToFloor: +(plan.maxRssMiB / floor.maxRssMiB).toFixed(2),
    };
    if (baseline) {
      const old = await cli(resolve(baseline), root, ["sync", "plan"]);
      if (old.code !== 0) throw new Error(`the baseline's sync plan exited ${old.code}`);
      out.baseline = { maxRssMiB: old.maxRssMiB, seconds: old.seconds, load: old.load, code: old.code, sameOutput: old.stdout === plan.stdout };
      out.ratioToBaseline = +(plan.maxRssMiB / old.maxRssMiB).toFixed(2);
    }
    return out;
  } finally {
    if (!keep) await rm(root, { recursive: true, force: true });
    else log(`  data directory kept: ${root}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  const r = await benchPlanMemory({
    count: Number(arg("--count", 100_000)),
    dir: arg("--dir", undefined),
    baseline: arg("--baseline", undefined),
    keep: process.argv.includes("--keep"),
    log: json ? () => undefined : console.log,
  });
  if (json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`sync plan --json over one tenant of ${r.count} secrets (${r.planned} actions; ${r.summary.noop} in sync, ${r.summary.changes} changes)`);
    console.log(`  plan:        peak RSS ${r.plan.maxRssMiB} MiB in ${r.plan.seconds} s (output ${r.plan.outputMiB} MiB), load ${r.plan.load}`);
    console.log(`  floor:       peak RSS ${r.floor.maxRssMiB} MiB (${r.floor.command}), load ${r.floor.load} → plan/floor ${r.ratioToFloor}×`);
    if (r.baseline)
      console.log(
        `  baseline:    peak RSS ${r.baseline.maxRssMiB} MiB in ${r.baseline.seconds} s, load ${r.baseline.load} → plan/baseline ${r.ratioToBaseline}× (same output: ${r.baseline.sameOutput})`,
      );
    console.log(`  goal: under 256 MiB → ${r.plan.maxRssMiB < 256 ? "met" : "NOT met"}`);
  }
}
