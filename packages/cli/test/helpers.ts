import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const BIN = resolve(import.meta.dirname, "../bin/polyvault.js");

export interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  out: string;
}

/** A fresh working directory and data directory (no polyvault.yaml: the embedded default). */
export function sandbox(): { cwd: string; home: string; env: NodeJS.ProcessEnv } {
  const cwd = mkdtempSync(join(tmpdir(), "pv-cli-"));
  const home = join(cwd, "data");
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: home };
  return { cwd, home, env };
}

export function cli(sb: { cwd: string; env: NodeJS.ProcessEnv }, args: string[], input?: Buffer | string, extraEnv: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...sb.env, ...extraEnv }, input: input ?? "", maxBuffer: 64 * 1024 * 1024 });
  // EPIPE: the CLI stopped reading an oversized stdin at its limit (docs/cli.md, "Input limits") and exited.
  if (r.error && !((r.error as NodeJS.ErrnoException).code === "EPIPE" && r.status !== null)) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString(), out: r.stdout.toString() };
}

/** Start the CLI without waiting (for kill tests). */
export function cliAsync(sb: { cwd: string; env: NodeJS.ProcessEnv }, args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: sb.env, stdio: ["ignore", "pipe", "pipe"] });
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

/** Files below dir whose bytes contain the needle in clear, base64, base64url or hex. */
export function filesContaining(dir: string, needle: Buffer): string[] {
  const forms = [needle, Buffer.from(needle.toString("base64")), Buffer.from(needle.toString("base64url")), Buffer.from(needle.toString("hex"))];
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
export async function killAt(child: ReturnType<typeof cliAsync>, progress: () => number, at: number): Promise<{ killed: boolean; progress: number }> {
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
