/**
 * The one CLI harness of every test tree (packages/cli/test, test/e2e, test/reliability, test/pg): the
 * built command run as a user runs it (`node packages/cli/bin/polyvault.js`) in a sandbox — its own
 * working directory (where a polyvault.yaml is found without --config) and data directory
 * (POLYVAULT_HOME), and an environment that holds nothing of the test process's but PATH and HOME.
 *
 * - `cli(sb, args)` waits for the process (spawnSync): for tests that talk to nothing in this process.
 * - `run(sb, args)` / `sb.run(args)` spawn it asynchronously: the test process keeps serving the loopback
 *   servers the CLI talks to, several can run at once, one can be killed at a chosen moment
 *   (`killAtMs`: SIGKILL, no exit hook), and a run still going after `hangAfterMs` is a hang, killed and
 *   reported with code -1 instead of hanging the suite.
 * - `start(sb, args)` returns the child itself (for `killAt`, which kills at an observed point).
 *
 * Canaries: `sb.canary()` plants a fresh registered value, and every run in that sandbox checks that no
 * registered canary appears in its stdout or stderr (clear, base64, base64url or hex), except the one
 * value a `get` asked for (`allow`). `filesContaining` and `sb.filesWithCanaries()` search files for them.
 *
 * Sandboxes are removed when their suite ends; POLYVAULT_KEEP_SANDBOXES=1 keeps them for a post-mortem.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, expect } from "vitest";

export const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");

/** For tests that run many CLI processes: each takes 0.5–2 s to start on a busy 2-core machine. */
export const SLOW = { timeout: 180_000 };

const made: string[] = [];
afterAll(() => {
  if (!process.env.POLYVAULT_KEEP_SANDBOXES) for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed when the suite ends (unless POLYVAULT_KEEP_SANDBOXES is set). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `pv-${prefix}-`));
  made.push(d);
  return d;
}

/** The forms in which a value could leak into text or a file. */
export const leakForms = (v: Buffer): Buffer[] => [v, Buffer.from(v.toString("base64")), Buffer.from(v.toString("base64url")), Buffer.from(v.toString("hex"))];

/** What a run needs of a sandbox (tests may build one by hand around another directory). */
export interface SandboxLike {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly canaries?: readonly Buffer[] | undefined;
}

export interface SandboxOptions {
  /** Names the temporary directory (pv-<prefix>-…). */
  readonly prefix?: string;
  /** Written as ./polyvault.yaml. */
  readonly config?: string;
  /** Added to (or overriding) the sandbox's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export class CliSandbox implements SandboxLike {
  readonly cwd: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly #canaries: Buffer[] = [];

  constructor(options: SandboxOptions = {}) {
    this.cwd = tempDir(options.prefix ?? "cli");
    this.home = join(this.cwd, "data");
    this.env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      POLYVAULT_HOME: this.home,
      // What configurations of the shared Vault server name as the token (`${POLYVAULT_TEST_VAULT_TOKEN}`).
      POLYVAULT_TEST_VAULT_TOKEN: process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev",
      // The AWS SDK's Node-version notice on stderr is not Polyvault's output (its test is provider-aws's).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.env,
    };
    if (options.config !== undefined) this.writeConfig(options.config);
  }

  get canaries(): readonly Buffer[] {
    return this.#canaries;
  }

  /** polyvault.yaml in the working directory: found by the CLI without --config, as docs/cli.md says. */
  writeConfig(yaml: string): void {
    writeFileSync(join(this.cwd, "polyvault.yaml"), yaml);
  }

  /** A fresh, registered canary: `CANARY-<hex>` plus optional extra bytes. */
  canary(extra: Buffer = Buffer.alloc(0)): Buffer {
    const v = Buffer.concat([Buffer.from(`CANARY-${randomBytes(12).toString("hex")}`), extra]);
    this.#canaries.push(v);
    return v;
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return run(this, args, options);
  }

  /** Files under `dir` (default: the data directory) that hold any registered canary in any leak form. */
  filesWithCanaries(dir: string = this.home): string[] {
    return filesContaining(dir, this.#canaries);
  }
}

/** A fresh sandbox: a working directory with its data directory `./data` (created by the CLI). */
export const sandbox = (options: SandboxOptions = {}): CliSandbox => new CliSandbox(options);

export interface CliResult {
  readonly code: number;
  /** The signal that ended it (SIGKILL when the test killed it). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** stdout as UTF-8. */
  readonly out: string;
  /** Wall time of the whole process, start-up included (reported, never a pass/fail bound). */
  readonly ms: number;
  /** performance.now() in this process when the CLI was spawned and when it ended. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RunOptions {
  readonly input?: Buffer | string;
  readonly env?: NodeJS.ProcessEnv;
  /** The canaries this run may print (the value a `get` asked for). */
  readonly allow?: Buffer | readonly Buffer[] | undefined;
  /** SIGKILL after this many ms (a crash at a random point); the result then has signal SIGKILL. */
  readonly killAtMs?: number;
  /** A run still going after this long is a hang: killed and reported with code -1 (default 120 s). */
  readonly hangAfterMs?: number;
}

/** Runs the CLI and waits for it without blocking this process. */
export function run(sb: SandboxLike, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...sb.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  child.stdin.on("error", () => undefined); // a CLI killed or finished before reading stdin
  child.stdin.end(options.input ?? "");
  const timers = [setTimeout(() => child.kill("SIGKILL"), options.hangAfterMs ?? 120_000)];
  if (options.killAtMs !== undefined) timers.push(setTimeout(() => child.kill("SIGKILL"), options.killAtMs));
  return new Promise((done) => {
    child.on("close", (code, signal) => {
      for (const t of timers) clearTimeout(t);
      const endedAt = performance.now();
      const stdout = Buffer.concat(out);
      const r = {
        code: code ?? -1,
        signal,
        stdout,
        stderr: Buffer.concat(err).toString("utf8"),
        out: stdout.toString("utf8"),
        ms: endedAt - startedAt,
        startedAt,
        endedAt,
      };
      checkNoLeak(sb, args, r, options.allow);
      done(r);
    });
  });
}

/** Runs the CLI and blocks until it exits (for tests that serve nothing the CLI talks to). */
export function cli(sb: SandboxLike, args: string[], input?: Buffer | string, env: NodeJS.ProcessEnv = {}, allow?: RunOptions["allow"]): CliResult {
  const startedAt = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...sb.env, ...env }, input: input ?? "", maxBuffer: 64 * 1024 * 1024 });
  // EPIPE: the CLI stopped reading an oversized stdin at its limit (docs/cli.md, "Input limits") and exited.
  if (r.error && !((r.error as NodeJS.ErrnoException).code === "EPIPE" && r.status !== null)) throw r.error;
  const endedAt = performance.now();
  const result = {
    code: r.status ?? -1,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr.toString(),
    out: r.stdout.toString(),
    ms: endedAt - startedAt,
    startedAt,
    endedAt,
  };
  checkNoLeak(sb, args, result, allow);
  return result;
}

/** Starts the CLI without waiting (kill tests, `serve`). */
export function start(sb: SandboxLike, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...sb.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

function checkNoLeak(sb: SandboxLike, args: string[], r: CliResult, allow: RunOptions["allow"]): void {
  const stderr = Buffer.from(r.stderr);
  const allowed = allow === undefined ? [] : Buffer.isBuffer(allow) ? [allow] : allow;
  for (const c of sb.canaries ?? []) {
    if (allowed.some((a) => a.equals(c))) continue;
    for (const form of leakForms(c)) {
      expect(r.stdout.includes(form), `a canary leaked into stdout of: polyvault ${args.join(" ")}`).toBe(false);
      expect(stderr.includes(form), `a canary leaked into stderr of: polyvault ${args.join(" ")}`).toBe(false);
    }
  }
}

/** stdout parsed as JSON (a --json answer); a failure names the exit code and stderr, not the output. */
export function json<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.out) as T;
  } catch {
    throw new Error(`stdout of exit ${r.code} is not JSON (${r.stdout.length} bytes; stderr: ${r.stderr.trim()})`);
  }
}

/** Acknowledged = the CLI exited 0 on its own (before any kill). */
export const acknowledged = (r: CliResult): boolean => r.code === 0 && r.signal === null;

/** A uniformly random kill moment within [from, to) ms. */
export const randomMs = (from: number, to: number): number => Math.floor(from + Math.random() * (to - from));

/** A polyvault error line as docs/cli.md defines it: exactly one line on stderr, nothing on stdout. */
export function expectErrorLine(r: CliResult, code: number, errorCode: string, message?: RegExp): void {
  expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).toBe(code);
  expect(r.stderr).toMatch(new RegExp(`^polyvault: ${errorCode}: [^\\n]+\\n$`));
  if (message) expect(r.stderr).toMatch(message);
  expect(r.out).toBe("");
}

/** Byte-for-byte equality that names the first differing offset instead of printing either value. */
export function expectSameBytes(actual: Buffer, expected: Buffer): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const same = actual.length === expected.length && at === expected.length;
  expect(same, `got ${actual.length} bytes, expected ${expected.length}; first difference at byte ${at}`).toBe(true);
}

/** Every regular file below dir. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Files below dir whose bytes contain any of the needles in clear, base64, base64url or hex. */
export function filesContaining(dir: string, needles: Buffer | readonly Buffer[]): string[] {
  const forms = (Buffer.isBuffer(needles) ? [needles] : needles).flatMap(leakForms);
  if (forms.length === 0) return [];
  return filesBelow(dir).filter((f) => {
    const data = readFileSync(f);
    return forms.some((n) => data.includes(n));
  });
}

export function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** `.pv` version files below dir (the file provider's stored versions). */
export function versionFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(".pv")).map((n) => join(dir, n));
}

/**
 * Kill a running CLI process with SIGKILL once an observed point is reached — `progress()` (a count of
 * files written, journal entries, …) at or past `at` — rather than after a fixed delay, which on a
 * loaded machine often lands during Node's start-up. Resolves with whether the kill happened (false
 * when the process exited first) and the progress seen right after it.
 */
export async function killAt(child: ReturnType<typeof start>, progress: () => number, at: number): Promise<{ killed: boolean; progress: number }> {
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!done) {
    if (progress() >= at) {
      child.kill("SIGKILL");
      await exited;
      return { killed: child.signalCode === "SIGKILL", progress: progress() };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { killed: false, progress: progress() };
}
