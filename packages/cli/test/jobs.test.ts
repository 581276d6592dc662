/**
 * The scheduled jobs from the command line (issues 13.1, 13.2): `jobs list`, `jobs run`, `backup list`,
 * `backup drill`, `keys status`'s next due date; a scheduled backup restores into a new data directory
 * with every secret readable; a tampered bundle is refused with exit 6; `keep` is honoured; bad input
 * gets its exact error and exit 2; `jobs run --watch` runs on schedule until SIGTERM.
 */
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "./helpers.js";

const CANARY = "CANARY-jobs-cli-5e11";
const config = (backups: string) => `
providers:
  local: { type: file }
keys: { rotateEvery: 1h }
backups: ${backups}
`;

function setUp(backups = "{ schedule: 'every 1s', dir: ./backups, keep: 2 }") {
  const sb = sandbox();
  writeFileSync(join(sb.cwd, "polyvault.yaml"), config(backups));
  expect(cli(sb, ["init"]).code).toBe(0);
  for (const [t, n, v] of [
    ["acme", "DATABASE_URL", `${CANARY}-db`],
    ["acme", "API_KEY", `${CANARY}-api`],
    ["globex", "JWT", `${CANARY}-jwt`],
  ] as const)
    expect(cli(sb, ["secrets", "set", n, "--tenant", t, "--value-stdin"], v).code).toBe(0);
  return sb;
}

const json = (out: string) => JSON.parse(out) as Record<string, unknown>;

describe("polyvault jobs / backup list / backup drill", () => {
  it("runs the due jobs, keeps `keep` bundles, restores one into a new data dir, drills, and refuses a tampered bundle (exit 6)", () => {
    const sb = setUp();
    const list = cli(sb, ["jobs", "list", "--json"]);
    expect(list.code).toBe(0);
    expect((json(list.out).jobs as Array<{ name: string; schedule: string; lastRun: unknown }>).map((j) => [j.name, j.schedule, j.lastRun])).toEqual([
      ["keys.rotate", "every 1h", undefined],
      ["backups", "every 1s", undefined],
    ]);
    const first = cli(sb, ["jobs", "run", "--json"]);
    expect(first.code).toBe(0);
    expect((json(first.out).runs as Array<{ job: string; status: string }>).map((r) => [r.job, r.status])).toEqual([
      ["keys.rotate", "nothing-due"],
      ["backups", "done"],
    ]);
    for (let i = 0; i < 2; i++) expect(cli(sb, ["jobs", "run", "--job", "backups", "--force"]).code).toBe(0);
    const bundles = json(cli(sb, ["backup", "list", "--json"]).out).bundles as Array<{ tenant: string; file: string }>;
    expect(bundles.map((b) => b.tenant)).toEqual(["acme", "acme", "globex", "globex"]);
    expect(readdirSync(join(sb.cwd, "backups", "acme"))).toHaveLength(2);

    const status = cli(sb, ["keys", "status"]);
    expect(status.out).toMatch(/^scheduled rotation: every 1h; next due \d{4}-\d\d-\d\dT[\d:.]+Z \(run by `serve` or `polyvault jobs run --watch`\)$/m);

    // A new data directory holding only the master key: the newest scheduled bundle restores, every secret reads.
    const fresh = sandbox();
    mkdirSync(join(fresh.home, "keys"), { recursive: true, mode: 0o700 });
    copyFileSync(join(sb.home, "keys", "master.key"), join(fresh.home, "keys", "master.key"));
    chmodSync(join(fresh.home, "keys", "master.key"), 0o600);
    const newest = bundles[0]?.file as string;
    expect(cli(fresh, ["backup", "restore", newest, "--tenant", "acme"]).code).toBe(0);
    expect(cli(fresh, ["secrets", "get", "DATABASE_URL", "--tenant", "acme"]).out).toBe(`${CANARY}-db`);
    expect(cli(fresh, ["secrets", "get", "API_KEY", "--tenant", "acme"]).out).toBe(`${CANARY}-api`);

    const drill = cli(sb, ["backup", "drill", "--json"]);
    expect(drill.code).toBe(0);
    expect((json(drill.out).drills as Array<Record<string, unknown>>).map((d) => [d.tenant, d.secrets, d.versionsVerified, d.live])).toEqual([
      ["acme", 2, 2, { same: 2, changedSince: 0, goneSince: 0 }],
      ["globex", 1, 1, { same: 1, changedSince: 0, goneSince: 0 }],
    ]);

    // One flipped byte in the newest acme bundle: drill, verify and restore refuse it with exit 6.
    const bytes = readFileSync(newest);
    const at = bytes.length - 200; // in the last secret's line, before the signature line
    bytes[at] = (bytes[at] as number) ^ 1;
    writeFileSync(newest, bytes);
    const refused = "polyvault: INTEGRITY: backup bundle signature does not verify: the bundle was altered or truncated\n";
    for (const args of [
      ["backup", "drill", "--tenant", "acme"],
      ["backup", "verify", newest],
    ])
      expect([cli(sb, args).code, cli(sb, args).stderr]).toEqual([6, refused]);
    const other = sandbox();
    mkdirSync(join(other.home, "keys"), { recursive: true, mode: 0o700 });
    copyFileSync(join(sb.home, "keys", "master.key"), join(other.home, "keys", "master.key"));
    chmodSync(join(other.home, "keys", "master.key"), 0o600);
    const restore = cli(other, ["backup", "restore", newest]);
    expect([restore.code, restore.stderr]).toEqual([6, refused]);
    expect(readdirSync(other.home)).not.toContain("store");
    expect(readdirSync(join(other.home, "keys"))).not.toContain("keyring.json");
  });

  it("bad input: exact errors, exit 2, nothing written", () => {
    const sb = setUp();
    const nope = cli(sb, ["jobs", "run", "--job", "nope"]);
    expect([nope.code, nope.stderr]).toEqual([2, "polyvault: INVALID_INPUT: no scheduled job named 'nope' (configured: keys.rotate, backups)\n"]);
    for (const [backups, message] of [
      ["{ schedule: 'every 1s', dir: ./b, keep: 0 }", "backups.keep: backups.keep must be a whole number of at least 1"],
      ["{ schedule: 'every 1s', dir: ./b, keep: -1 }", "backups.keep: backups.keep must be a whole number of at least 1"],
      ["{ schedule: 'sometimes', dir: ./b, keep: 1 }", 'backups.schedule: "sometimes" is neither a cron pattern'],
    ]) {
      writeFileSync(join(sb.cwd, "polyvault.yaml"), config(backups as string));
      const r = cli(sb, ["jobs", "list"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message as string);
    }
    // A backups.dir that is a file: the run fails with exit 2 and says why; no bundle is written anywhere.
    writeFileSync(join(sb.cwd, "a-file"), "x");
    writeFileSync(join(sb.cwd, "polyvault.yaml"), config("{ schedule: 'every 1s', dir: ./a-file, keep: 1 }"));
    const bad = cli(sb, ["jobs", "run", "--job", "backups"]);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe(`backups: failed: backups.dir: ${join(sb.cwd, "a-file")} is not a directory (or holds a file named acme)\n`);
    expect(readFileSync(join(sb.cwd, "a-file"), "utf8")).toBe("x");
    const drill = cli(sb, ["backup", "drill", "--file", "x.pvbackup"]);
    expect([drill.code, drill.stderr]).toEqual([2, "polyvault: INVALID_INPUT: --file needs --tenant (the tenant the bundle must belong to)\n"]);
  });

  it("jobs run --watch runs the backups on schedule until SIGTERM, then exits 0", async () => {
    const sb = setUp("{ schedule: 'every 1s', dir: ./backups, keep: 5, tenants: [globex] }");
    const child = spawn(process.execPath, [BIN, "jobs", "run", "--watch", "--json", "--job", "backups"], {
      cwd: sb.cwd,
      env: sb.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const done = () => out.split("\n").filter((l) => l.includes('"status":"done"')).length;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (done() >= 2) resolve();
      });
      child.on("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(readdirSync(join(sb.cwd, "backups", "globex")).length).toBeGreaterThanOrEqual(2);
    expect(out).not.toContain(CANARY);
  });
});
