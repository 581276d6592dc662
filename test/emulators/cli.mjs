#!/usr/bin/env node
// npm run emulators -- up|down|status [aws|azure|vault ...]
// Installs (once, cached outside the repo), starts, stops and reports the provider servers.
import { MissingToolError } from "./lib.mjs";
import { ALL, byName } from "./registry.mjs";

const [cmd = "status", ...names] = process.argv.slice(2);
const json = names.includes("--json");
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
      const t0 = Date.now();
      if (!json) process.stderr.write(`${e.name}: installing (cached after the first time)...\n`);
      await e.install();
      if (!json) process.stderr.write(`${e.name}: starting...\n`);
      const info = await e.start();
      results.push({ name: e.name, version: e.version, state: "up", ...info, seconds: (Date.now() - t0) / 1000 });
    } else if (cmd === "down") {
      await e.stop();
      results.push({ name: e.name, state: "down" });
    } else if (cmd === "status") {
      results.push({ name: e.name, version: e.version, ...(await e.status()) });
    } else {
      console.error(`emulators: unknown command '${cmd}' (use up, down or status)`);
      process.exit(2);
    }
  }
  if (json) console.log(JSON.stringify(results, null, 2));
  else for (const r of results) console.log(`${r.name.padEnd(6)} ${r.state.padEnd(5)} ${r.endpoint ?? ""} ${r.version ? `(${r.version})` : ""}`);
}

main().catch((err) => {
  console.error(`emulators: ${err.message}`);
  process.exit(err instanceof MissingToolError ? 2 : 1);
});
