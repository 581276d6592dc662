#!/usr/bin/env node
// `npm run test:reliability [-- --full] [vitest args]`: the reliability and security suites on their own,
// with the provider servers and toxiproxy brought up the way test/run-tests.mjs brings up the servers
// (installed once, cached outside the repo), then one line per suite: trials, faults injected,
// invariants checked, failures. Without --full the suites run at the size `npm test` runs them;
// --full sets POLYVAULT_RELIABILITY=full (≥ 200 crash trials, ≥ 10,000 cases per property).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { MissingToolError, ServerNotAvailableError } from "../emulators/lib.mjs";
import { ALL } from "../emulators/registry.mjs";
import * as toxiproxy from "../fault/toxiproxy.mjs";

const full = process.argv.includes("--full");
const vitestArgs = process.argv.slice(2).filter((a) => a !== "--full");
const reportDir = mkdtempSync(join(tmpdir(), "pv-reliability-"));
const started = [];
const notRun = [];
let code = 1;

async function bringUp(server) {
  const before = await server.status();
  const t0 = Date.now();
  try {
    await server.install();
    const info = await server.start();
    if (before.state !== "up") started.push(server);
    if (server.env) Object.assign(process.env, server.env());
    console.error(`[reliability] ${server.name} ${server.version} up at ${info.endpoint} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    if (!(err instanceof ServerNotAvailableError)) throw err;
    process.env[`POLYVAULT_TEST_${server.name.toUpperCase()}_UNAVAILABLE`] = err.reason;
    notRun.push(`${server.name}: ${err.message}`);
    console.error(`\n[reliability] *** ${server.name} SUITES WILL REPORT NOT RUN: ${err.message}\n`);
  }
}

function table(results) {
  const rows = [["suite", "trials", "faults injected", "invariants checked", "failures"]];
  const total = [0, 0, 0, 0];
  for (const r of results) {
    rows.push([r.suite, r.trials, r.faults, r.invariants, r.failures].map(String));
    [r.trials, r.faults, r.invariants, r.failures].forEach((n, i) => {
      total[i] += n;
    });
  }
  rows.push(["total", ...total.map(String)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

try {
  for (const server of ALL) await bringUp(server);
  await bringUp(toxiproxy);
  const jsonOut = join(reportDir, "vitest.json");
  code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["node_modules/vitest/vitest.mjs", "run", "test/reliability", "--reporter=default", "--reporter=json", `--outputFile.json=${jsonOut}`, ...vitestArgs],
      {
        stdio: "inherit",
        env: { ...process.env, POLYVAULT_RELIABILITY: full ? "full" : "small", POLYVAULT_RELIABILITY_REPORT: reportDir },
      },
    );
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });

  // Failures per suite from vitest's own results; figures from each suite's report.
  const failures = new Map();
  if (existsSync(jsonOut)) {
    for (const file of JSON.parse(readFileSync(jsonOut, "utf8")).testResults ?? []) {
      const failed = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
      failures.set(basename(file.name).replace(/\.test\.ts$/, ""), failed || (file.status === "failed" ? 1 : 0));
    }
  }
  const results = readdirSync(reportDir)
    .filter((f) => f.endsWith(".json") && f !== "vitest.json")
    .map((f) => JSON.parse(readFileSync(join(reportDir, f), "utf8")))
    .map((r) => ({ ...r, failures: failures.get(r.suite) ?? 0 }))
    .sort((a, b) => a.suite.localeCompare(b.suite));
  for (const [suite, n] of failures)
    if (!results.some((r) => r.suite === suite)) results.push({ suite, trials: 0, faults: 0, invariants: 0, failures: n, notes: {} });

  console.log(`\nReliability suites (${full ? "--full" : "small size, as in npm test"}):\n`);
  console.log(table(results));
  for (const r of results) {
    const notes = Object.entries(r.notes ?? {});
    if (notes.length) console.log(`  ${r.suite}: ${notes.map(([k, v]) => `${k}: ${v}`).join("; ")}`);
  }
  for (const line of notRun) console.log(`NOT RUN against a real server: ${line}`);
} catch (err) {
  console.error(err instanceof MissingToolError ? `test:reliability: ${err.message}` : `test:reliability: ${err.stack ?? err}`);
  code = 1;
} finally {
  if (!process.env.POLYVAULT_KEEP_EMULATORS) for (const s of started) await s.stop();
  rmSync(reportDir, { recursive: true, force: true });
}
process.exit(code);
