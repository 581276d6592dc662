#!/usr/bin/env node
// npm run emulators -- up|down|status [aws|azure|vault ...] [--json] [--force]
// Installs (once, cached outside the repo), starts, stops and reports the provider servers.
// The pid files are shared by every checkout of one machine user, so `down` stops only the servers this
// checkout started; a server another checkout (or something else) started is left running, and said so,
// unless `--force` names it.
import { MissingToolError, THIS_CHECKOUT, isAlive, ownerOf, readPid } from "./lib.mjs";
import { ALL, byName } from "./registry.mjs";

const [cmd = "status", ...names] = process.argv.slice(2);
const json = names.includes("--json");
const force = names.includes("--force");
const selected = names.filter((n) => !n.startsWith("--"));
let emulators;
try {
  emulators = selected.length ? selected.map(byName) : ALL;
} catch (err) {
  console.error(`emulators: ${err.message}`);
  process.exit(2);
}

async function main() {
  const results = [];
  for (const e of emulators) {
    if (cmd === "up") {
      const before = await e.status();
      if (before.state === "up") {
        // Already running (started by npm test, another checkout, or by hand): nothing to install or start.
        results.push({ name: e.name, version: e.version, ...before, note: "already up" });
        continue;
      }
      const t0 = Date.now();
      if (!json) process.stderr.write(`${e.name}: installing (cached after the first time)...\n`);
      await e.install();
      if (!json) process.stderr.write(`${e.name}: starting...\n`);
      const info = await e.start();
      results.push({ name: e.name, version: e.version, state: "up", ...info, seconds: (Date.now() - t0) / 1000 });
    } else if (cmd === "down") {
      const owner = ownerOf(e.name);
      if (!isAlive(readPid(e.name))) {
        const up = (await e.status()).state === "up";
        results.push({ name: e.name, state: up ? "up" : "down", note: up ? "not started by `npm run emulators`: left running" : "not running" });
      } else if (owner !== THIS_CHECKOUT && !force) {
        results.push({ name: e.name, state: "up", note: `started by ${owner ?? "another checkout"}: left running (\`--force\` stops it)` });
      } else {
        await e.stop();
        results.push({ name: e.name, state: "down", note: "stopped" });
      }
    } else if (cmd === "status") {
      const owner = ownerOf(e.name);
      const by = owner === undefined ? {} : { startedBy: owner === THIS_CHECKOUT ? "this checkout" : owner };
      results.push({ name: e.name, version: e.version, ...(await e.status()), ...by });
    } else {
      console.error(`emulators: unknown command '${cmd}' (use up, down or status)`);
      process.exit(2);
    }
  }
  if (json) console.log(JSON.stringify(results));
  else
    for (const r of results) {
      const extra = [r.version ? `(${r.version})` : "", r.startedBy ? `started by ${r.startedBy}` : "", r.note ?? ""].filter(Boolean).join(" ");
      console.log(`${r.name.padEnd(6)} ${r.state.padEnd(5)} ${r.endpoint ?? ""} ${extra}`.trimEnd());
    }
}

main().catch((err) => {
  console.error(`emulators: ${err.message}`);
  process.exit(err instanceof MissingToolError ? 2 : 1);
});
