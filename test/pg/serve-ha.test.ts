/**
 * Scale-out acceptance: three `polyvault serve` processes on one PostgreSQL and the real provider
 * servers. Each scheduled route runs exactly once per tick; killing the process that runs it hands the
 * route to another within the lock timeout; no action is applied twice; reads keep working throughout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "./cluster.mjs";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");
const AWS = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const run = Date.now().toString(36);
const tenant = `ha-${run}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  proc: ChildProcess;
  url: string;
  home: string;
}

describe("three gateways on one PostgreSQL", () => {
  let cluster: Cluster;
  let db: string;
  const nodes: Node[] = [];
  const base = mkdtempSync(join(tmpdir(), "pv-ha-"));
  const masterKey = randomBytes(32).toString("base64");

  const config = () => `
providers:
  aws: { type: aws, region: us-east-1, endpoint: "${AWS}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "ha${run}" }
  vault: { type: vault, address: "${VAULT}", token: "${VAULT_TOKEN}", prefix: "ha${run}" }
tenants:
  ${tenant}: { primary: aws, mirrors: [vault] }
routes:
  ha:
    source: aws
    targets: [vault]
    tenants: [${tenant}]
    schedule: "*/2 * * * * *"
state: "${db}"
`;

  const env = (home: string) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    POLYVAULT_HOME: home,
    POLYVAULT_MASTER_KEY: masterKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });

  async function startNode(i: number): Promise<Node> {
    const home = join(base, `node${i}`);
    mkdirSync(join(home, "keys"), { recursive: true, mode: 0o700 });
    // Every node shares the keyring of node 0 (docs/deployment.md).
    if (i > 0) copyFileSync(join(base, "node0", "keys", "keyring.json"), join(home, "keys", "keyring.json"));
    const proc = spawn(
      process.execPath,
      [BIN, "serve", "--port", "0", "--json", "--log-level", "warn", "--workers", "1", "--config", join(base, "polyvault.yaml")],
      {
        env: env(home),
        stdio: ["ignore", "pipe", "pipe"],
        // One process per node: this is about leadership between nodes (workers within a node are
        // test/e2e/gateway-workers*.test.ts). With two workers per node the push-on-write runs of the 20 writes
        // trail into the window counted as scheduled runs, and pv_runs cannot tell the two apart.
        // A process group per node all the same, so a kill is a whole node's crash.
        detached: true,
      },
    );
    // `--json` prints one JSON document with the listening address once the gateway is up.
    const answer = await new Promise<{ listening: string }>((res, rej) => {
      let text = "";
      proc.stdout?.on("data", (d) => {
        text += d;
        try {
          res(JSON.parse(text));
        } catch {
          // not whole yet
        }
      });
      proc.once("exit", (c) => rej(new Error(`serve exited ${c}`)));
    });
    return { proc, url: answer.listening, home };
  }

  beforeAll(async () => {
    cluster = await startCluster();
    db = cluster.createDatabase(`ha_${run}`);
    writeFileSync(join(base, "polyvault.yaml"), config());
    // Node 0's data dir gets the keyring; the source secrets are written through it.
    const init = spawn(process.execPath, [BIN, "secrets", "set", "seed", "--tenant", tenant, "--generate", "--config", join(base, "polyvault.yaml")], {
      env: env(join(base, "node0")),
      stdio: "ignore",
    });
    await new Promise((r) => init.on("exit", r));
    for (let i = 0; i < 3; i++) nodes.push(await startNode(i));
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) n.proc.kill("SIGTERM");
    await sleep(500);
    cluster?.stop();
  });

  it("runs each tick once, hands the route over when its runner dies, applies nothing twice, keeps serving reads", async () => {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      // Real changes while the schedule runs: written through node 1, pushed and scheduled.
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${nodes[1]?.url}/v1/tenants/${tenant}/secrets/app%2Fk${i}`, {
          method: "PUT",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${readFileSync(join(nodes[1]?.home as string, "gateway.token"), "utf8").trim()}`,
          },
          body: JSON.stringify({ value: `v${i}` }),
        });
        expect(r.status).toBe(200);
      }
      const pushedAt = Date.now();
      const runs = async () =>
        (await client.query<{ run_id: string; started_at: Date }>("SELECT run_id, started_at FROM pv_runs WHERE route = 'ha' ORDER BY started_at")).rows;
      // Scheduled runs only (push-on-write runs happened while the values were written): wait for the
      // event — at least three of them — rather than for a fixed time.
      const scheduled = async () => (await runs()).filter((r) => new Date(r.started_at).getTime() > pushedAt + 1000);
      while ((await scheduled()).length < 3) await sleep(200);
      const observedAt = Date.now();
      const before = await scheduled();
      // At most one run per 2-second tick: never more scheduled runs than ticks went by (a loaded machine
      // may skip a tick, never double one; three schedulers each running every tick would triple it).
      const ticks = Math.floor(observedAt / 2000) - Math.floor((pushedAt + 1000) / 2000) + 1;
      expect(before.length).toBeLessThanOrEqual(ticks);

      // The scheduler's leader is the holder of the `scheduler` lease: kill it.
      const holder = (await client.query<{ owner: string }>("SELECT owner FROM pv_leases WHERE name = 'scheduler'")).rows[0]?.owner ?? "";
      // The holder is the process that runs the scheduler: a node's first worker (its parent is the node's
      // `serve`), or the node itself when it runs one process.
      const pid = Number(holder.split(":")[1]);
      const leader = nodes.find((n) => n.proc.pid === pid || n.proc.pid === parentPid(pid));
      expect(leader, `no node holds pid ${pid}`).toBeDefined();
      const killedAt = Date.now();
      if (leader?.proc.pid !== undefined) process.kill(-leader.proc.pid, "SIGKILL");
      const survivors = nodes.filter((n) => n !== leader);

      // Reads keep working throughout, from the survivors.
      let handedOverAt: number | undefined;
      // Until another node runs the route (the test's timeout bounds the wait).
      for (;;) {
        for (const n of survivors) {
          // No `access`: each gateway's local token (docs/gateway.md).
          const r = await fetch(`${n.url}/v1/tenants/${tenant}/secrets/app%2Fk3`, {
            headers: { authorization: `Bearer ${readFileSync(join(n.home, "gateway.token"), "utf8").trim()}` },
          });
          expect(r.status).toBe(200);
          expect(((await r.json()) as { value: string }).value).toBe("v3");
        }
        const after = (await runs()).filter((r) => new Date(r.started_at).getTime() > killedAt);
        if (after.length > 0) {
          handedOverAt = new Date(after[0]?.started_at as Date).getTime();
          break;
        }
        await sleep(200);
      }
      expect(handedOverAt).toBeDefined();
      console.log(`[ha] scheduler failover: ${((handedOverAt as number) - killedAt) / 1000} s after SIGKILL of the leader`);

      // Nothing was applied twice: each secret has exactly one version in the target.
      await sleep(3000);
      const plan = spawn(process.execPath, [BIN, "sync", "plan", "--json", "--config", join(base, "polyvault.yaml")], {
        env: env(survivors[0]?.home as string),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      plan.stdout?.on("data", (d) => {
        out += d;
      });
      await new Promise((r) => plan.on("exit", r));
      expect(JSON.parse(out).summary.changes).toBe(0);
      const done = (
        await client.query<{ action: string; n: string }>("SELECT action, count(*) AS n FROM pv_journal WHERE route = 'ha' AND state = 'done' GROUP BY action")
      ).rows;
      const created = Number(done.find((r) => r.action === "create")?.n ?? 0);
      expect(created).toBe(21);
      const names = (
        await client.query<{ name: string; n: string }>(
          "SELECT name, count(*) AS n FROM pv_journal WHERE route = 'ha' AND state = 'done' GROUP BY name HAVING count(*) > 1",
        )
      ).rows;
      expect(names).toEqual([]);
    } finally {
      await client.end();
    }
  }, 180_000);
});

/** The parent process id of `pid` (Linux: field 4 of /proc/PID/stat), or undefined. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces, so count from its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}
