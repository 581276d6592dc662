// Toxiproxy (Shopify's TCP fault-injection proxy) for the reliability suites: built once from the Go
// module proxy with `go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0` into the emulator cache
// (outside the repository, keyed by version), started detached on loopback, driven through its HTTP API.
// v2.5.0 is the newest version the module proxy reachable here serves (`go list -m -versions` lists
// v2.3.0 and v2.5.0). Same shape as test/emulators/*.mjs: name, version, env(), install(), start(),
// stop(), status(), running(); plus a small API client (createProxy, addToxic, removeToxics, deleteProxy).
//
// If POLYVAULT_TEST_TOXIPROXY_URL is set, the toxiproxy API there is used as it is: nothing is built,
// started or stopped.
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MissingToolError, cacheDir, isAlive, probe, readPid, run, startDetached, stopDetached, waitFor, which } from "../emulators/lib.mjs";

export const name = "toxiproxy";
export const version = "2.5.0";

const MODULE = "github.com/Shopify/toxiproxy/v2/cmd/server";
const DEFAULT_URL = "http://127.0.0.1:8474";
const provided = () => Boolean(process.env.POLYVAULT_TEST_TOXIPROXY_URL);
const apiUrl = () => (provided() ? process.env.POLYVAULT_TEST_TOXIPROXY_URL : DEFAULT_URL);

export function env() {
  return { POLYVAULT_TEST_TOXIPROXY_URL: apiUrl() };
}

const binary = () => join(cacheDir(name, version), "toxiproxy-server");
// Written last, so an interrupted build is redone rather than half-trusted.
const marker = () => join(cacheDir(name, version), "installed");

function findGo() {
  const go = which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go)
    throw new MissingToolError("go", "install Go 1.22 or newer (https://go.dev/doc/install), or set POLYVAULT_TEST_TOXIPROXY_URL to a running toxiproxy");
  return go;
}

export async function install() {
  if (provided() || (existsSync(binary()) && existsSync(marker()))) return;
  const go = findGo();
  const root = cacheDir(name, version);
  const gobin = join(root, "bin");
  // Module downloads and the build cache stay under the emulator cache, outside the repository.
  const goEnv = {
    ...process.env,
    GOPATH: join(root, "go"),
    GOMODCACHE: join(root, "go", "mod"),
    GOCACHE: join(root, "go", "build"),
    GOBIN: gobin,
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
  rmSync(gobin, { recursive: true, force: true });
  run(go, ["install", "-trimpath", "-ldflags=-s -w", `${MODULE}@v${version}`], { cwd: root, env: goEnv });
  renameSync(join(gobin, "server"), binary());
  writeFileSync(marker(), `toxiproxy ${version}\n`);
}

async function healthy() {
  try {
    return (await probe(`${apiUrl()}/version`, 1000)) === 200;
  } catch {
    return false;
  }
}

export async function start() {
  if (await healthy()) return { endpoint: apiUrl() };
  if (provided()) {
    await waitFor(`toxiproxy at ${apiUrl()} (POLYVAULT_TEST_TOXIPROXY_URL)`, healthy, 30_000);
    return { endpoint: apiUrl() };
  }
  await install();
  const u = new URL(DEFAULT_URL);
  // Fixed seed: the random choices of toxics with toxicity < 1 repeat from run to run.
  const { log } = startDetached(name, binary(), ["-host", u.hostname, "-port", u.port, "-seed", "7"]);
  await waitFor("toxiproxy", healthy, 30_000, log);
  return { endpoint: apiUrl() };
}

/** For a suite file: fails, naming the cause, unless toxiproxy is already up (it never starts it itself). */
export async function running() {
  if (await healthy()) return { endpoint: apiUrl() };
  throw new Error(`toxiproxy is not running at ${apiUrl()}: the reliability project's global set-up starts it (test/reliability/helpers/toxiproxy-setup.ts)`);
}

export async function stop() {
  if (provided()) return;
  await stopDetached(name);
}

export async function status() {
  if (await healthy()) return { state: "up", endpoint: apiUrl() };
  const pid = readPid(name);
  return { state: "down", endpoint: apiUrl(), ...(isAlive(pid) ? { pid, note: "process alive but not healthy" } : {}) };
}

async function api(method, path, body) {
  const res = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A proxy listening on a free loopback port in front of `upstream` (host:port); returns { name, listen }. */
export async function createProxy(proxyName, upstream) {
  const p = await api("POST", "/proxies", { name: proxyName, listen: "127.0.0.1:0", upstream, enabled: true });
  return { name: p.name, listen: p.listen };
}

/** Adds a toxic: { type, stream: "upstream"|"downstream", toxicity (0–1), attributes }. Returns its name. */
export async function addToxic(proxyName, toxic) {
  const t = await api("POST", `/proxies/${proxyName}/toxics`, { stream: "downstream", toxicity: 1, ...toxic });
  return t.name;
}

export async function removeToxics(proxyName) {
  const p = await api("GET", `/proxies/${proxyName}`);
  for (const t of p.toxics ?? []) await api("DELETE", `/proxies/${proxyName}/toxics/${t.name}`);
}

export async function deleteProxy(proxyName) {
  await api("DELETE", `/proxies/${proxyName}`).catch(() => undefined);
}
