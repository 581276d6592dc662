/**
 * `polyvault serve --workers 2` as a user starts it (a real process, its workers forked by node:cluster),
 * on the file provider: requests from many connections land on both workers (`X-Polyvault-Worker`), the
 * Host check and the local token hold on each, /metrics sums both, a worker killed with SIGKILL is
 * restarted and the primary logs it, SIGTERM lets in-flight requests on every worker finish and exits 0,
 * and `audit verify` checks what both workers wrote as one chain.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takeLockWhenFree } from "../harness/locks.js";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");

interface Answer {
  readonly status: number;
  readonly worker: string | undefined;
  readonly body: string;
}

/** One request on a connection of its own (agent: false), so that the primary deals it to the next worker. */
function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => done({ status: res.statusCode ?? 0, worker: res.headers["x-polyvault-worker"] as string | undefined, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** Resolves once `test(log)` holds (events, not sleeps), or fails after `ms`. */
async function until(what: string, test: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("polyvault serve --workers 2", () => {
  const cwd = mkdtempSync(join(tmpdir(), "pv-e2e-workers-"));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(cwd, "data") };
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8" });
  let server: ChildProcess;
  let url = "";
  let auth: Record<string, string> = {};
  let log = "";
  const exited = () => new Promise<number | null>((r) => (server.exitCode !== null ? r(server.exitCode) : server.once("exit", (c) => r(c))));
  const workerPids = (n: string) => [...log.matchAll(new RegExp(`"worker":${n},"workerPid":(\\d+)`, "g"))].map((m) => Number(m[1]));
  const get = (path: string, headers: Record<string, string> = auth) => call(url, "GET", path, headers);

  beforeAll(async () => {
    expect(cli("init").status).toBe(0);
    server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--workers", "2", "--json", "--rate-limit", "0"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    server.stdout?.on("data", (c: Buffer) => (out += c));
    server.stderr?.on("data", (c: Buffer) => (log += c));
    await until("the listening address", () => out.includes("\n") || server.exitCode !== null);
    const ready = JSON.parse(out) as { listening: string; workers: number; tokenFile: string };
    expect(ready.workers).toBe(2);
    url = ready.listening;
    auth = { authorization: `Bearer ${readFileSync(ready.tokenFile, "utf8").trim()}` };
    const put = await call(url, "PUT", "/v1/tenants/acme/secrets/db%2Furl", { ...auth, "content-type": "application/json" }, JSON.stringify({ value: "v1" }));
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill("SIGKILL");
      await exited();
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it("refuses a bad --workers before anything starts (exit 2, nothing listening)", () => {
    for (const [value, message] of [
      ["0", '--workers must be a whole number from 1 to 256 (got "0")'],
      ["two", '--workers must be a whole number from 1 to 256 (got "two")'],
      ["257", '--workers must be a whole number from 1 to 256 (got "257")'],
    ]) {
      const r = cli("serve", "--port", "0", "--workers", value as string);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`polyvault: INVALID_INPUT: ${message}\n`);
      expect(r.stdout).toBe("");
    }
  });

  it("a worker that cannot start ends the start with its error and exit code (exit 2, nothing left running)", () => {
    const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0", "--workers", "2", "--host", "0.0.0.0"], {
      cwd,
      env,
      encoding: "utf8",
      timeout: 120_000, // a worker kept alive by its IPC channel would hang the start: killed here, exit null
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^polyvault: INVALID_INPUT: refusing to serve on 0\.0\.0\.0 without access control: anyone who can reach it would be admin/m);
    expect(r.stdout).toBe("");
  });

  it("deals connections to both workers; each checks the local token and the Host header", async () => {
    const answers = await Promise.all(Array.from({ length: 24 }, () => get("/v1/tenants/acme/secrets/db%2Furl")));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers.every((a) => JSON.parse(a.body).value === "v1")).toBe(true);
    expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
    const refused = await Promise.all(Array.from({ length: 6 }, () => get("/v1/tenants/acme/secrets/db%2Furl", {})));
    expect(refused.map((a) => a.status)).toEqual(refused.map(() => 401));
    expect(new Set(refused.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
    const rebinding = await Promise.all(Array.from({ length: 6 }, () => get("/health", { host: "evil.example" })));
    expect(rebinding.map((a) => a.status)).toEqual(rebinding.map(() => 403));
    expect(new Set(rebinding.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
  });

  it("/metrics sums the reads of both workers", async () => {
    const before = await get("/metrics");
    const reads = (text: string) => Number(/^polyvault_secret_access_total\{tenant="acme"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    const answers = await Promise.all(Array.from({ length: 10 }, () => get("/v1/tenants/acme/secrets/db%2Furl")));
    const byWorker: Record<string, number> = {};
    for (const a of answers) byWorker[a.worker ?? "?"] = (byWorker[a.worker ?? "?"] ?? 0) + 1;
    expect(Object.keys(byWorker).sort()).toEqual(["1", "2"]); // one worker's own count would be short of 10
    const after = await get("/metrics");
    expect(reads(after.body) - reads(before.body)).toBe(10);
    expect(after.body).toMatch(/^polyvault_cluster_workers 2$/m);
  });

  it("restarts a worker killed with SIGKILL, and logs it", async () => {
    const [pid] = workerPids("2");
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, "SIGKILL");
    await until("the restart", () => log.includes('"msg":"worker restarted"'));
    const line = log.split("\n").find((l) => l.includes("worker exited unexpectedly"));
    expect(JSON.parse(line as string)).toMatchObject({ worker: 2, workerPid: pid, signal: "SIGKILL" });
    const replacement = workerPids("2").at(-1);
    expect(replacement).not.toBe(pid);
    const answers = await Promise.all(Array.from({ length: 12 }, () => get("/v1/tenants/acme/secrets/db%2Furl")));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
    expect((await get("/metrics")).body).toMatch(/^polyvault_cluster_worker_restarts_total\{worker="2"\} 1$/m);
  });

  it("SIGTERM lets in-flight requests on every worker finish, exits 0, and leaves one chain that verifies", async () => {
    // Hold both workers' segment locks as another process would (each worker appends to its own chain,
    // audit-segments/w<n>): every read waits for its worker's lock, in flight.
    const locks = ["w1", "w2"].map((w) => join(cwd, "data", "audit-segments", w, "audit.lock"));
    for (const lock of locks) await takeLockWhenFree(lock);
    const logged = () =>
      log.split("\n").filter((l) => l.includes('"url":"/v1/tenants/acme/secrets/db%2Furl"') && l.includes('"msg":"incoming request"')).length;
    const before = logged();
    const inFlight = Array.from({ length: 6 }, () => get("/v1/tenants/acme/secrets/db%2Furl"));
    // In flight once the workers have logged all six (not after a fixed sleep, which a loaded machine can outrun).
    await until("six reads in flight", () => logged() >= before + 6);
    server.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    expect(server.exitCode).toBe(null); // still draining: the reads wait for the lock
    for (const lock of locks) rmSync(lock, { recursive: true });
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
    expect(await exited()).toBe(0);
    const verify = cli("audit", "verify", "--json");
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
    const report = JSON.parse(verify.stdout) as {
      ok: boolean;
      records: number;
      unsignedTail: number;
      segments: { segment: string; ok: boolean; records: number; unsignedTail: number }[];
    };
    expect(report).toMatchObject({ ok: true, unsignedTail: 0 });
    // One chain per worker, both sealed, each named in the main chain (its open and its checkpoints).
    expect(report.segments.map((g) => [g.segment, g.ok, g.unsignedTail])).toEqual([
      ["w1", true, 0],
      ["w2", true, 0],
    ]);
    const statements = readFileSync(join(cwd, "data", "audit.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"action":"audit.segment"'))
      .map((l) => /segment=(w\d)/.exec(l)?.[1]);
    expect(new Set(statements)).toEqual(new Set(["w1", "w2"]));
    // 1 write (2 records) + 24 + 10 + 12 + 6 reads, each audited, plus config.change and the refused tokens.
    const records = report.records + report.segments.reduce((n, g) => n + g.records, 0);
    expect(records).toBeGreaterThanOrEqual(2 + 24 + 10 + 12 + 6);
  });
});
