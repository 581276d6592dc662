/**
 * A `polyvault serve` for the gateway bench: a fresh data directory with `access` on (one admin token),
 * the file provider, one secret stored; started with `--workers N`, `--log-level warn` and a rate limit
 * too high to refuse the load. `stop()` sends SIGTERM (every worker drains) and waits for the exit.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");

export async function startPolyvault(dir, { workers, fsync, value, auditMode }) {
  mkdirSync(dir, { recursive: true });
  const token = `bench-${randomBytes(12).toString("hex")}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(dir, "data"), POLYVAULT_TOKEN: token };
  // The workers' audit designs (docs/audit.md, "Workers"): each its own segment (the default), "relay" (the
  // primary's one writer), "lock" (each worker appends to the main chain under the data directory's lock).
  if (auditMode) env.POLYVAULT_CLUSTER_AUDIT = auditMode;
  const init = spawnSync(process.execPath, [BIN, "init"], { cwd: dir, env, encoding: "utf8" });
  if (init.status !== 0) throw new Error(`polyvault init: ${init.stderr}`);
  const digest = createHash("sha256").update(token).digest("hex");
  writeFileSync(
    join(dir, "polyvault.yaml"),
    `providers:\n  local: { type: file }\naudit: { fsync: ${fsync} }\naccess:\n  principals:\n    bench: { tokenSha256: "${digest}", roles: [{ role: admin, tenants: ["*"] }] }\n`,
  );
  const args = ["serve", "--port", "0", "--workers", String(workers), "--log-level", "warn", "--rate-limit", "1000000000", "--json"];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!out.includes("\n")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`polyvault serve --workers ${workers} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = JSON.parse(out).listening;
  const secretUrl = `${url}/v1/tenants/bench/secrets/db%2Furl`;
  const put = await fetch(secretUrl, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ value }),
  });
  if (put.status !== 200) throw new Error(`polyvault PUT: ${put.status} ${await put.text()}`);
  return {
    url,
    secretUrl,
    token,
    dataDir: join(dir, "data"),
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return new Promise((r) => child.once("exit", r));
    },
  };
}
