// Azure Key Vault for the tests: the project's own Key Vault secrets data-plane server
// (test/emulators/keyvault/, plain Node, nothing to install or build), started detached on
// https://localhost:8443 with a self-signed certificate made at start-up; the certificate is written to
// the run directory and exported as POLYVAULT_TEST_AZURE_CA for the tests to trust. No Key Vault emulator
// can be installed on this project's machines (docs/testing.md says why this server exists).
//
// If POLYVAULT_TEST_AZURE_URL is set, a Key Vault is already provided there (a Lowkey Vault or a real
// vault): install/start only check that it answers, stop leaves it alone, and no CA is exported.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MissingToolError, USER_ENV, probe, runDir, startDetached, stopDetached, waitFor, which } from "./lib.mjs";

export const name = "azure";
export const version = "keyvault-api-2025-07-01"; // the project's server, answering the api-versions of @azure/keyvault-secrets 4.11

const DEFAULT_URL = "https://localhost:8443";
const MAIN = join(dirname(fileURLToPath(import.meta.url)), "keyvault", "main.mjs");
const provided = () => USER_ENV.POLYVAULT_TEST_AZURE_URL;
const vaultUrl = () => provided() ?? DEFAULT_URL;
const caFile = () => join(runDir(), "azure-ca.pem");

export function env() {
  if (provided()) return { POLYVAULT_TEST_AZURE_URL: vaultUrl() };
  return { POLYVAULT_TEST_AZURE_URL: vaultUrl(), POLYVAULT_TEST_AZURE_CA: caFile() };
}

async function reachable() {
  try {
    // Any HTTP answer means a vault listens (ours answers 401 with the bearer challenge).
    await probe(`${vaultUrl()}/secrets?api-version=2025-07-01`, 1000);
    return true;
  } catch {
    return false;
  }
}

/** Our server answers there with the certificate in the run directory (not another server on the port). */
function trusted() {
  if (!existsSync(caFile())) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(`${vaultUrl()}/secrets?api-version=2025-07-01`, { ca: readFileSync(caFile(), "utf8"), timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 401);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function requireProvided() {
  if (!(await reachable())) throw new Error(`POLYVAULT_TEST_AZURE_URL=${vaultUrl()} is set but nothing answers there`);
}

/** Nothing to install: the server is plain Node in this repository; it needs only the openssl binary. */
export async function install() {
  if (provided()) return requireProvided();
  if (!which("openssl"))
    throw new MissingToolError("openssl", "install OpenSSL (e.g. `apt-get install openssl`): the test Key Vault makes its certificate with it");
}

export async function start() {
  if (provided()) {
    await requireProvided();
    return { endpoint: vaultUrl() };
  }
  if (await reachable()) {
    if (await trusted()) return { endpoint: vaultUrl() };
    throw new Error(
      `something other than the test Key Vault answers at ${vaultUrl()} (its certificate is not ${caFile()}); stop it, or set POLYVAULT_TEST_AZURE_URL to use it`,
    );
  }
  await install();
  const port = new URL(DEFAULT_URL).port;
  rmSync(caFile(), { force: true }); // the new server writes its own
  // Every Azure suite shares this one vault, several at once: together they send far more than one
  // client of a real vault would, so the shared instance does not throttle. Throttling (the service's
  // 4,000 transactions and 300 creations per 10 s, main.mjs's defaults) is tested on private instances:
  // test/emulators/keyvault/server.test.ts, test/reliability/azure-throttle.test.ts, the fault suites.
  const { log } = startDetached(name, process.execPath, [
    MAIN,
    ...["--host", "127.0.0.1", "--port", port, "--ca-file", caFile()],
    ...["--budget", process.env.POLYVAULT_KEYVAULT_BUDGET ?? "1000000", "--create-budget", process.env.POLYVAULT_KEYVAULT_CREATE_BUDGET ?? "1000000"],
  ]);
  await waitFor("the test Key Vault", trusted, 30_000, log);
  return { endpoint: vaultUrl() };
}

export async function stop() {
  if (provided()) return; // not ours to stop
  await stopDetached(name);
}

export async function status() {
  return { state: (await reachable()) ? "up" : "down", endpoint: vaultUrl() };
}
