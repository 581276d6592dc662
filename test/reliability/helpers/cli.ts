/**
 * The built CLI, run as a user runs it (`node packages/cli/bin/polyvault.js`, as packages/cli/test/helpers.ts
 * does), but spawned asynchronously so that a suite can run several at once, kill one at a chosen moment
 * (SIGKILL: no exit hook, no cleanup), and keep serving the loopback proxies the CLI talks to.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { VAULT_TOKEN } from "./size.js";

const made: string[] = [];
// Sandboxes are removed when their suite ends; POLYVAULT_KEEP_SANDBOXES=1 keeps them for a post-mortem.
afterAll(() => {
  if (!process.env.POLYVAULT_KEEP_SANDBOXES) for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const BIN = resolve(import.meta.dirname, "../../../packages/cli/bin/polyvault.js");

export interface Sandbox {
  readonly cwd: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface RunResult {
  readonly code: number;
  /** The signal that ended it (SIGKILL when this suite killed it). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly out: string;
  readonly ms: number;
}

/** A temporary directory removed when the suite ends (unless POLYVAULT_KEEP_SANDBOXES is set). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `pv-rel-${prefix}-`));
  made.push(d);
  return d;
}

/** A fresh working directory with its data directory; `config` becomes ./polyvault.yaml. */
export function sandbox(prefix: string, config?: string, extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const cwd = tempDir(prefix);
  const home = join(cwd, "data");
  mkdirSync(home);
  if (config !== undefined) writeFileSync(join(cwd, "polyvault.yaml"), config);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    POLYVAULT_HOME: home,
    POLYVAULT_TEST_VAULT_TOKEN: VAULT_TOKEN,
    // The AWS SDK prints a Node-version notice on stderr at load; it is not Polyvault's output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extraEnv,
  };
  return { cwd, home, env };
}

export interface RunOptions {
  readonly input?: Buffer | string;
  /** SIGKILL after this many ms (a crash at a random point); the result then has signal SIGKILL. */
  readonly killAtMs?: number;
  /** A run still going after this long is a hang: killed and reported with code -1 (default 120 s). */
  readonly hangAfterMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export function run(sb: Sandbox, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
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
      const stdout = Buffer.concat(out);
      done({ code: code ?? -1, signal, stdout, stderr: Buffer.concat(err).toString("utf8"), out: stdout.toString("utf8"), ms: performance.now() - started });
    });
  });
}

/** Acknowledged = the CLI exited 0 on its own (before any kill). */
export const acknowledged = (r: RunResult): boolean => r.code === 0 && r.signal === null;

/** A uniformly random kill moment within [from, to) ms. */
export const randomMs = (from: number, to: number): number => Math.floor(from + Math.random() * (to - from));
