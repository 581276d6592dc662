// AWS Secrets Manager for the tests: moto's standalone server (PyPI `moto[server]`), installed once into
// a Python venv under the emulator cache and started on loopback. If POLYVAULT_TEST_AWS_ENDPOINT is set,
// a server is already provided there: install/start only check that it answers, stop leaves it alone.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MissingToolError, USER_ENV, cacheDir, probe, run, startDetached, stopDetached, waitFor, which } from "./lib.mjs";

export const name = "aws";
export const version = "5.2.5"; // moto

const DEFAULT_ENDPOINT = "http://127.0.0.1:4566";
const provided = () => USER_ENV.POLYVAULT_TEST_AWS_ENDPOINT;
const endpoint = () => provided() ?? DEFAULT_ENDPOINT;

export function env() {
  return { POLYVAULT_TEST_AWS_ENDPOINT: endpoint() };
}

const venvDir = () => join(cacheDir(name, version), "venv");
// Written last, so an interrupted install is redone rather than half-trusted.
const marker = () => join(cacheDir(name, version), "installed");

async function reachable() {
  try {
    await probe(`${endpoint()}/moto-api/`, 1000);
    return true; // any HTTP answer means a server is listening
  } catch {
    return false;
  }
}

async function requireProvided() {
  if (!(await reachable())) throw new Error(`POLYVAULT_TEST_AWS_ENDPOINT=${endpoint()} is set but nothing answers there`);
}

export async function install() {
  if (provided()) return requireProvided();
  if (existsSync(marker())) return;
  const python = which("python3");
  if (!python) throw new MissingToolError("python3", "install Python 3.9+ (e.g. `apt-get install python3 python3-venv`)");
  const venv = venvDir();
  rmSync(venv, { recursive: true, force: true });
  try {
    run(python, ["-m", "venv", venv]);
  } catch (err) {
    throw new MissingToolError("python3 venv", `the venv module failed (${err.message.split("\n")[0]}); on Debian/Ubuntu: apt-get install python3-venv`);
  }
  run(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `moto[server]==${version}`]);
  writeFileSync(marker(), `moto ${version}\n`);
}

export async function start() {
  if (provided()) {
    await requireProvided();
    return { endpoint: endpoint() };
  }
  if (await reachable()) return { endpoint: endpoint() };
  if (!existsSync(marker())) await install();
  const url = new URL(endpoint());
  // moto's backends, one request at a time (moto-serial.py says why); the same app moto_server runs.
  const launcher = join(dirname(fileURLToPath(import.meta.url)), "moto-serial.py");
  const { log } = startDetached(name, join(venvDir(), "bin", "python"), [launcher, url.hostname, url.port]);
  await waitFor("moto server", reachable, 60_000, log);
  return { endpoint: endpoint() };
}

export async function stop() {
  if (provided()) return; // not ours to stop
  await stopDetached(name);
}

export async function status() {
  return { state: (await reachable()) ? "up" : "down", endpoint: endpoint() };
}
