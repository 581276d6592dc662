// Shared helpers for the provider-server scripts: where the cache lives, how a server is started
// detached with a pid file, how we wait for it. Plain Node (no dependencies) so it runs before `npm ci`
// has built anything.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The environment as it was when the test set-up started, before a runner sets POLYVAULT_TEST_* for vitest
 * itself: whether a server was provided by the user (so that start and stop leave it alone) is read here,
 * never from process.env later, where the runner's own variables would make every server look provided.
 */
export const USER_ENV = Object.freeze({ ...process.env });

/** Installs are cached outside the repository, keyed by name and version, so a warm run skips them. */
export function cacheRoot() {
  const base = process.env.POLYVAULT_EMULATOR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "polyvault", "emulators");
  mkdirSync(base, { recursive: true });
  return base;
}

export function cacheDir(name, version) {
  const dir = join(cacheRoot(), `${name}-${version}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runtime files (pid, logs) live in one folder per machine user, not in the repository. */
export function runDir() {
  const dir = process.env.POLYVAULT_EMULATOR_RUN ?? join(cacheRoot(), "run");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export class MissingToolError extends Error {
  constructor(tool, hint) {
    super(`${tool} is required to run this provider server: ${hint}`);
    this.name = "MissingToolError";
  }
}

/** Run a command to completion, inheriting nothing secret; throws with its output on failure. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${tail}`);
  }
  return r.stdout;
}

export function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The checkout these scripts belong to: the owner recorded beside each pid file this checkout writes. */
export const THIS_CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Start a long-running server detached from this process, with its output in a log file. */
export function startDetached(name, cmd, args, opts = {}) {
  const dir = runDir();
  const log = join(dir, `${name}.log`);
  const out = openSync(log, "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", out, out], ...opts });
  child.unref();
  writeFileSync(join(dir, `${name}.pid`), String(child.pid));
  writeFileSync(join(dir, `${name}.owner`), `${THIS_CHECKOUT}\n`);
  return { pid: child.pid, log };
}

/**
 * Who started the server named in the shared pid file: a checkout's path, or undefined (no pid file,
 * a dead process, or a pid file written before owners were recorded: nobody we can name).
 */
export function ownerOf(name) {
  const pid = readPid(name);
  if (!isAlive(pid)) return undefined;
  const file = join(runDir(), `${name}.owner`);
  return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
}

export function readPid(name) {
  const file = join(runDir(), `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a server started by startDetached: SIGTERM to its process group, then SIGKILL. */
export async function stopDetached(name, graceMs = 5000) {
  const pid = readPid(name);
  rmSync(join(runDir(), `${name}.pid`), { force: true });
  if (!isAlive(pid)) return false;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  if (isAlive(pid)) signal("SIGKILL");
  return true;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP(S) GET; resolves with the status code, rejects on a network error. Self-signed TLS accepted. */
export function probe(url, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, { method: "GET", timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Poll `check` until it returns true or the deadline passes. */
export async function waitFor(what, check, timeoutMs = 60_000, logFile) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  const tail = logFile && existsSync(logFile) ? `\n--- ${logFile} (tail) ---\n${readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n")}` : "";
  throw new Error(`${what} did not become ready within ${timeoutMs} ms${last ? ` (last error: ${last.message})` : ""}${tail}`);
}

/**
 * The server cannot be had on this machine at all (its registry does not serve it): the tests that
 * need it are reported as not run, loudly, with this reason — never silently passed.
 */
export class ServerNotAvailableError extends Error {
  constructor(server, reason) {
    super(`${server}: ${reason}`);
    this.name = "ServerNotAvailableError";
    this.reason = reason;
  }
}
