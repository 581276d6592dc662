// `polyvault run`: the child gets the tenant's secrets as environment variables, no shell, signals
// forwarded, its exit code returned; values never in argv, logs or errors; --watch restarts on change.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "../../../test/harness/cli.js";

const CANARY = "CANARY-run-7c1e0b";
const NODE = process.execPath;

function setUp() {
  const sb = sandbox();
  expect(cli(sb, ["init"]).code).toBe(0);
  const set = (name: string, value: string) => expect(cli(sb, ["secrets", "set", name, "--tenant", "acme", "--value-stdin"], value).code).toBe(0);
  set("DATABASE_URL", `postgres://app:${CANARY}@db/app`);
  set("db/url", "mapped");
  set("9lives", "digits");
  set("public/key", "pub");
  return { sb, set };
}

/** Starts `polyvault run …` without blocking, collecting its output. */
function start(sb: ReturnType<typeof sandbox>, args: string[]) {
  const child = spawn(NODE, [BIN, "run", "--tenant", "acme", ...args], { cwd: sb.cwd, env: sb.env, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const until = async (re: RegExp) => {
    while (!re.test(out.stdout)) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${re}: ${out.stdout} ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, out, exit, until };
}

describe("polyvault run", () => {
  it("gives the child the values under mapped names, without a shell, and returns its exit code", () => {
    const { sb } = setUp();
    const r = cli(sb, [
      "run",
      "--tenant",
      "acme",
      "--",
      NODE,
      "-e",
      "const e = process.env; console.log(JSON.stringify([e.DATABASE_URL, e.db_url, e._9lives, e.public_key])); process.exit(7)",
    ]);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.out)).toEqual([`postgres://app:${CANARY}@db/app`, "mapped", "digits", "pub"]);
    expect(r.stderr).toBe("");
    // No shell: a shell metacharacter in an argument reaches the program as it is.
    const literal = cli(sb, ["run", "--tenant", "acme", "--", NODE, "-e", "console.log(process.argv[1])", "$(echo hi) ; `id`"]);
    expect(literal.out).toBe("$(echo hi) ; `id`\n");
  });

  it("--only keeps the matching secrets only; the child's argv never holds a value", () => {
    const { sb } = setUp();
    const r = cli(sb, [
      "run",
      "--tenant",
      "acme",
      "--only",
      "public/**",
      "--only",
      "db/*",
      "--",
      NODE,
      "-e",
      "console.log(JSON.stringify([Object.keys(process.env).filter(k => ['DATABASE_URL','db_url','public_key','_9lives'].includes(k)).sort(), process.argv]))",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [keys, argv] = JSON.parse(r.out) as [string[], string[]];
    expect(keys).toEqual(["db_url", "public_key"]);
    expect(JSON.stringify(argv)).not.toContain("mapped");
  });

  it("two secrets that map to one variable are refused before the command starts (exit 2, no value)", () => {
    const { sb, set } = setUp();
    set("db_url", "other");
    const r = cli(sb, ["run", "--tenant", "acme", "--", NODE, "-e", "console.log('started')"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.stderr).toBe(
      'polyvault: INVALID_INPUT: secrets map to the same environment variable: "db/url" and "db_url" → db_url; rename one, or leave one out with --only\n',
    );
  });

  it("a command that does not exist is exit 127; no command at all is a usage error (exit 2)", () => {
    const { sb } = setUp();
    const missing = cli(sb, ["run", "--tenant", "acme", "--", "no-such-program-pv"]);
    expect([missing.code, missing.stderr]).toEqual([127, "polyvault: run: command not found: no-such-program-pv\n"]);
    const none = cli(sb, ["run", "--tenant", "acme"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^polyvault: INVALID_INPUT: missing required argument 'command'/);
  });

  it("SIGTERM sent to polyvault reaches the child, and the child's exit code comes back", async () => {
    const { sb } = setUp();
    const r = start(sb, [
      "--",
      NODE,
      "-e",
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(3); }); console.log('ready'); setInterval(() => {}, 1000);",
    ]);
    await r.until(/ready/);
    // The value is in the child's environment, never in its command line.
    const pid = r.child.pid as number;
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain(CANARY);
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(3);
    expect(r.out.stdout).toBe("ready\nchild got SIGTERM\n");
    expect(r.out.stderr).not.toContain(CANARY);
  });

  it("--watch restarts the command when a secret changes, with the new value", async () => {
    const { sb } = setUp();
    const r = start(sb, [
      "--watch",
      "--interval",
      "1",
      "--only",
      "db/*",
      "--",
      NODE,
      "-e",
      "console.log('value=' + process.env.db_url); setInterval(() => {}, 1000);",
    ]);
    await r.until(/value=mapped\n/);
    expect(cli(sb, ["secrets", "set", "db/url", "--tenant", "acme", "--value-stdin"], "changed").code).toBe(0);
    await r.until(/value=changed\n/);
    expect(r.out.stderr).toContain("polyvault: run: a secret of tenant acme changed; restarting");
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(128 + 15);
    expect(r.out.stdout).toBe("value=mapped\nvalue=changed\n");
  });
});
