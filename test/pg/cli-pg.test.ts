/**
 * `state: postgres://…` through the CLI: several processes on one PostgreSQL share the state and the
 * route lease. (The three-`polyvault serve` test builds on this once the gateway is in.)
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, filesBelow, run, sandbox } from "../harness/cli.js";
import { type Cluster, startCluster } from "./cluster.mjs";

let pg: Cluster;
beforeAll(async () => {
  pg = await startCluster();
});
afterAll(() => pg?.stop());

const CANARY = "canary-0c4e-cli-pg-value";
const config = (state: string) => `
providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror-store }
tenants:
  acme: { primary: local, mirrors: [mirror] }
routes:
  m: { source: local, targets: [mirror], tenants: [acme], prune: true }
state: "${state}"
`;

describe("CLI with the state on PostgreSQL", () => {
  it("three processes apply one route at once: 60 creates in all, each secret written once; status from a fourth; no value in the database", async () => {
    const sb = sandbox();
    const url = pg.createDatabase();
    // Import with no route configured (no push on write), so the three applies find the work to do.
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config(url).replace(/^routes:\n.*\n/m, ""));
    expect(cli(sb, ["init"]).code).toBe(0);
    writeFileSync(join(sb.cwd, "app.env"), Array.from({ length: 60 }, (_, i) => `S_${i}=${CANARY}-${i}\n`).join(""));
    const imported = cli(sb, ["env", "import", "app.env", "--tenant", "acme"]);
    expect(imported.code, imported.stderr).toBe(0);
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config(url));
    const results = await Promise.all([0, 1, 2].map(() => run(sb, ["sync", "apply", "--json"])));
    const runs = results.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.out) as { runs: Array<{ skipped?: string; counts?: { created: number } }> }).runs[0];
    });
    // Whoever held the lease did the work; a process that came later found nothing left (or skipped).
    expect(runs.reduce((n, r) => n + (r?.counts?.created ?? 0), 0)).toBe(60);
    for (const r of runs) expect(r?.counts ?? r?.skipped).toBeTruthy();
    const versions = filesBelow(join(sb.cwd, "mirror-store")).filter((f) => f.endsWith(".pv"));
    expect(versions).toHaveLength(60);
    expect(versions.every((f) => f.endsWith("v0000000001.pv"))).toBe(true);
    const status = cli(sb, ["sync", "status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.out).routes[0]).toMatchObject({ name: "m", pending: 0, lastRun: { ok: true } });
    const plan = JSON.parse(cli(sb, ["sync", "plan", "--json"]).out) as { summary: { changes: number; noop: number } };
    expect(plan.summary).toMatchObject({ changes: 0, noop: 60 });
    expect(existsSync(join(sb.home, "state.db"))).toBe(false);

    const c = new Client({ connectionString: url });
    await c.connect();
    const records = await c.query("SELECT count(*)::int AS n FROM pv_records");
    let dump = "";
    for (const t of ["pv_records", "pv_journal", "pv_runs", "pv_leases"]) dump += JSON.stringify((await c.query(`SELECT * FROM ${t}`)).rows);
    await c.end();
    expect(records.rows[0].n).toBe(60);
    expect(dump).toContain("S_59");
    expect(dump).not.toContain(CANARY);
    for (const r of [...results.map((x) => x.out + x.stderr), status.out, status.stderr]) expect(r).not.toContain(CANARY);
  });

  it("a state that is neither sqlite nor a postgres URL is refused (exit 2), with nothing written", () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config("mysql://root@127.0.0.1/pv"));
    expect(cli(sb, ["init"]).code).toBe(0);
    const r = cli(sb, ["sync", "plan"]);
    expect(r.code).toBe(2);
    // Refused when the configuration loads, naming the key; the URL (it may hold a password) is not echoed.
    expect(r.stderr).toMatch(
      /^polyvault: INVALID_INPUT: .*polyvault\.yaml is not a valid configuration:\n {2}state: state must be "sqlite" or a postgres:\/\/ or postgresql:\/\/ URL\n$/,
    );
    expect(r.stderr).not.toContain("root@");
    expect(existsSync(join(sb.home, "state.db"))).toBe(false);
  });

  it("an unreachable PostgreSQL is UNAVAILABLE (exit 5), and the password is not printed", () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config("postgres://pv:canary-pw-31337@127.0.0.1:1/pv"));
    expect(cli(sb, ["init"]).code).toBe(0);
    const r = cli(sb, ["sync", "status", "--json"]);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.out).error).toMatchObject({ code: "UNAVAILABLE" });
    expect(JSON.parse(r.out).error.message).toMatch(/^cannot open the PostgreSQL state store at postgres:\/\/pv:\*\*\*@127\.0\.0\.1:1\/pv: /);
    expect(r.stderr + r.out).not.toContain("canary-pw-31337");
  });
});
