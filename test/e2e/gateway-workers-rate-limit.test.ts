/**
 * `polyvault serve --workers 2 --rate-limit 12`: the limit is the gateway's, not each worker's. Requests
 * on connections of their own land on both workers; the workers share their counts (every 100 ms, through
 * the primary), so about 12 requests a minute pass in all, where a per-worker count let 24 through.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");
const LIMIT = 12;

/** One GET on a connection of its own (agent: false), so that the primary deals it to the next worker. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; worker: string | undefined }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => done({ status: res.statusCode ?? 0, worker: res.headers["x-polyvault-worker"] as string | undefined }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe(`polyvault serve --workers 2 --rate-limit ${LIMIT}`, () => {
  const cwd = mkdtempSync(join(tmpdir(), "pv-e2e-workers-rl-"));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(cwd, "data") };
  let server: ChildProcess;
  let url = "";
  let auth: Record<string, string> = {};

  beforeAll(async () => {
    expect(spawnSync(process.execPath, [BIN, "init"], { cwd, env }).status).toBe(0);
    server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--workers", "2", "--json", "--rate-limit", String(LIMIT)], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    server.stdout?.on("data", (c: Buffer) => (out += c));
    const end = Date.now() + 60_000;
    while (!out.includes("\n") && server.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const ready = JSON.parse(out) as { listening: string; tokenFile: string };
    url = ready.listening;
    auth = { authorization: `Bearer ${readFileSync(ready.tokenFile, "utf8").trim()}` };
  });

  afterAll(async () => {
    // SIGTERM: every worker drains and seals its audit segment before the directory goes.
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it("lets the limit through for the whole gateway, not the limit per worker", async () => {
    // The limit counts in one-minute windows aligned on the clock: a run crossing into the next minute
    // starts a fresh budget midway (a CI run passed 15 that way). So each run starts with 30 s of its
    // window left, and a run that still ends in the next minute (a loaded machine) is run again.
    // Paced (one request every 300 ms: three times the workers' sharing interval, so a late share on a
    // loaded machine still lands before the next request), on both workers.
    const minute = () => Math.floor(Date.now() / 60_000);
    let answers: { status: number; worker: string | undefined }[] = [];
    for (let run = 0; ; run++) {
      expect(run, "every run crossed into the next minute").toBeLessThan(3);
      // A run after one that crossed starts in a fresh minute: the minute it crossed into is part spent.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 30_000 || run > 0) await new Promise((r) => setTimeout(r, left + 100));
      const startedIn = minute();
      answers = [];
      for (let i = 0; i < 3 * LIMIT; i++) {
        answers.push(await get(`${url}/v1/tenants/acme/secrets`, auth));
        await new Promise((r) => setTimeout(r, 300));
      }
      if (minute() === startedIn) break;
    }
    const passed = answers.filter((a) => a.status === 200);
    expect(new Set(passed.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    // At most one interval's worth over the limit (the sharing lags by ≈ 100 ms); a per-worker count passed 2 × LIMIT.
    expect(passed.length).toBeGreaterThanOrEqual(LIMIT);
    expect(passed.length).toBeLessThanOrEqual(LIMIT + 2);
    const refused = answers.filter((a) => a.status === 429);
    expect(new Set(refused.map((a) => a.worker))).toEqual(new Set(["1", "2"]));
  }, 240_000);
});
