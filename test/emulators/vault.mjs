// The Vault provider's server: a Vault dev server (in-memory storage, unsealed, KV v2 at secret/),
// built once from the Go module proxy by the tiny wrapper module in ./openbao-wrapper and cached
// outside the repository. OpenBao was the plan, but the module proxy refuses its main module
// (see openbao-wrapper/go.mod); HashiCorp Vault v1.17.6 is built by the same route instead.
//
// If POLYVAULT_TEST_VAULT_ADDR is set, that server is used as it is: nothing is built or started.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MissingToolError, USER_ENV, cacheDir, isAlive, probe, readPid, run, startDetached, stopDetached, waitFor, which } from "./lib.mjs";

export const name = "vault";
export const version = "1.17.6";

const DEFAULT_ADDR = "http://127.0.0.1:8200";
const DEFAULT_TOKEN = "polyvault-dev";
const WRAPPER = join(dirname(fileURLToPath(import.meta.url)), "openbao-wrapper");
const WRAPPER_FILES = ["go.mod", "go.sum", "main.go"];

const provided = () => USER_ENV.POLYVAULT_TEST_VAULT_ADDR !== undefined && USER_ENV.POLYVAULT_TEST_VAULT_ADDR !== "";
const address = () => (provided() ? USER_ENV.POLYVAULT_TEST_VAULT_ADDR : DEFAULT_ADDR);

export function env() {
  return {
    POLYVAULT_TEST_VAULT_ADDR: address(),
    POLYVAULT_TEST_VAULT_TOKEN: process.env.POLYVAULT_TEST_VAULT_TOKEN || DEFAULT_TOKEN,
  };
}

const binary = () => join(cacheDir(name, version), "vault");
const stampFile = () => join(cacheDir(name, version), "vault.stamp");

/** A digest of the wrapper's sources: a changed go.mod/go.sum rebuilds even at the same version. */
function wrapperDigest() {
  const h = createHash("sha256");
  for (const f of WRAPPER_FILES)
    h.update(f)
      .update("\0")
      .update(readFileSync(join(WRAPPER, f)));
  return h.digest("hex");
}

function findGo() {
  const go = which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
  if (!go) {
    throw new MissingToolError("go", "install Go 1.22.5 or newer (https://go.dev/doc/install), or set POLYVAULT_TEST_VAULT_ADDR to a running Vault/OpenBao");
  }
  return go;
}

export async function install() {
  if (provided()) return;
  const digest = wrapperDigest();
  if (existsSync(binary()) && existsSync(stampFile()) && readFileSync(stampFile(), "utf8").trim() === digest) return;

  const go = findGo();
  const root = cacheDir(name, version);
  const src = join(root, "src");
  mkdirSync(src, { recursive: true });
  for (const f of WRAPPER_FILES) copyFileSync(join(WRAPPER, f), join(src, f));
  // Everything Go writes (module downloads, build cache) stays under the cache, outside the repo.
  const goEnv = {
    ...process.env,
    GOPATH: join(root, "go"),
    GOMODCACHE: join(root, "go", "mod"),
    GOCACHE: join(root, "go", "build"),
    GOFLAGS: "-mod=readonly",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
  const tmp = join(root, "vault.partial");
  rmSync(tmp, { force: true });
  run(go, ["build", "-trimpath", "-ldflags=-s -w", "-o", tmp, "."], { cwd: src, env: goEnv });
  renameSync(tmp, binary());
  writeFileSync(stampFile(), `${digest}\n`);
}

async function healthy(addr = address()) {
  try {
    return (await probe(`${addr}/v1/sys/health`, 2000)) === 200;
  } catch {
    return false;
  }
}

export async function start() {
  const endpoint = address();
  if (await healthy(endpoint)) return { endpoint };
  if (provided()) {
    await waitFor(`vault at ${endpoint} (POLYVAULT_TEST_VAULT_ADDR)`, () => healthy(endpoint), 30_000);
    return { endpoint };
  }
  if (!existsSync(binary())) await install();
  const { log } = startDetached(
    name,
    binary(),
    [
      "server",
      "-dev",
      `-dev-root-token-id=${env().POLYVAULT_TEST_VAULT_TOKEN}`,
      `-dev-listen-address=${new URL(DEFAULT_ADDR).host}`,
      // Keep the dev token out of ~/.vault-token: the tests pass it explicitly.
      "-dev-no-store-token",
    ],
    // Dev mode is in-memory and unsealed; no telemetry or version check leaves the machine.
    { env: { ...process.env, VAULT_DISABLE_MLOCK: "true", VAULT_LOG_LEVEL: "warn", CHECKPOINT_DISABLE: "1" } },
  );
  await waitFor(`vault dev server at ${endpoint}`, () => healthy(endpoint), 60_000, log);
  return { endpoint };
}

export async function stop() {
  // A server we did not start (POLYVAULT_TEST_VAULT_ADDR) is never stopped here.
  await stopDetached(name);
}

export async function status() {
  const endpoint = address();
  if (await healthy(endpoint)) return { state: "up", endpoint };
  const pid = readPid(name);
  return { state: "down", endpoint, ...(isAlive(pid) ? { pid, note: "process alive but not healthy" } : {}) };
}
