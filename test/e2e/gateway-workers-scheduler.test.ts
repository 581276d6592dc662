/**
 * `polyvault serve --workers 2` with a route scheduled every second (file → file): only worker 1 runs the
 * scheduler (every "scheduled sync finished" line is its pid's), a write taken by either worker is
 * pushed to the mirror, and the status page served by worker 2 lists the runs worker 1 recorded.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");

function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; worker: string | undefined; body: string }>((done, fail) => {
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

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("polyvault serve --workers 2: the scheduler runs once", () => {
  const cwd = mkdtempSync(join(tmpdir(), "pv-e2e-workers-sched-"));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: join(cwd, "data") };
  let server: ChildProcess | undefined;

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => server?.once("exit", r));
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it("only worker 1 runs scheduled routes; both push their writes; worker 2's status page lists worker 1's runs", async () => {
    writeFileSync(
      join(cwd, "polyvault.yaml"),
      `providers:\n  local: { type: file }\n  mirror: { type: file, dir: "${join(cwd, "mirror")}" }\nroutes:\n  every: { source: local, targets: [mirror], tenants: [acme], schedule: "* * * * * *" }\n`,
    );
    expect(spawnSync(process.execPath, [BIN, "init"], { cwd, env, encoding: "utf8" }).status).toBe(0);
    const proc = spawn(process.execPath, [BIN, "serve", "--port", "0", "--workers", "2", "--json", "--rate-limit", "0"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = proc;
    let out = "";
    let log = "";
    proc.stdout?.on("data", (c: Buffer) => (out += c));
    proc.stderr?.on("data", (c: Buffer) => (log += c));
    await until("the listening address", () => out.includes("\n"));
    const ready = JSON.parse(out) as { listening: string; tokenFile: string };
    const auth = { authorization: `Bearer ${readFileSync(ready.tokenFile, "utf8").trim()}` };
    const pidOf = (n: number) => Number(new RegExp(`"worker":${n},"workerPid":(\\d+)`).exec(log)?.[1]);

    // Writes over fresh connections land on both workers; each is pushed to the mirror by its worker.
    const puts = await Promise.all(
      ["A", "B", "C", "D"].map((n) =>
        call(ready.listening, "PUT", `/v1/tenants/acme/secrets/${n}`, { ...auth, "content-type": "application/json" }, JSON.stringify({ value: n })),
      ),
    );
    expect(puts.map((p) => p.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(puts.map((p) => p.worker))).toEqual(new Set(["1", "2"]));

    const finished = () => log.split("\n").filter((l) => l.includes('"msg":"scheduled sync finished"'));
    await until("three scheduled runs", () => finished().length >= 3);
    const pids = new Set(finished().map((l) => (JSON.parse(l) as { pid: number }).pid));
    expect(pids).toEqual(new Set([pidOf(1)]));
    expect(pidOf(2)).not.toBe(pidOf(1));

    // The mirror holds every write (pushed on write, or by the schedule).
    let plan = "";
    await until("the mirror to hold the writes", () => {
      plan = spawnSync(process.execPath, [BIN, "sync", "plan", "--json"], { cwd, env, encoding: "utf8" }).stdout;
      const actions = (JSON.parse(plan) as { actions: Array<{ name: string; action: string }> }).actions;
      return ["A", "B", "C", "D"].every((n) => actions.some((a) => a.name === n && a.action === "noop"));
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last plan: ${plan}`);
    });

    // Worker 2's status page shows the scheduled runs, which only worker 1 made.
    await until("worker 2's status page", async () => {
      const page = await call(ready.listening, "GET", "/");
      return page.worker === "2" && page.status === 200 && /<td>every<\/td><td>schedule<\/td><td>ok<\/td>/.test(page.body);
    });
  });
});
