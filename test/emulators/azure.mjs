// Azure Key Vault for the tests: Lowkey Vault (Maven Central `com.github.nagyesta.lowkey-vault:lowkey-vault-app`,
// a runnable Spring Boot jar), downloaded once into the emulator cache and started on https://localhost:8443
// with its built-in self-signed certificate. If POLYVAULT_TEST_AZURE_URL is set, a server is already provided
// there: install/start only check that it answers, stop leaves it alone.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { MissingToolError, ServerNotAvailableError, cacheDir, probe, run, startDetached, stopDetached, waitFor, which } from "./lib.mjs";

export const name = "azure";
// Lowkey Vault 5.x and later are built for Java 25; the JDK is looked up below, not hard-coded.
export const version = "7.3.74";
const JAVA_MAJOR = 25;
const ARTIFACT = `com.github.nagyesta.lowkey-vault:lowkey-vault-app:${version}`;

const DEFAULT_URL = "https://localhost:8443";
const provided = () => process.env.POLYVAULT_TEST_AZURE_URL;
const vaultUrl = () => provided() ?? DEFAULT_URL;

export function env() {
  return { POLYVAULT_TEST_AZURE_URL: vaultUrl() };
}

const jarPath = () => join(cacheDir(name, version), `lowkey-vault-app-${version}.jar`);

async function reachable() {
  try {
    // Lowkey answers /ping without a token; any HTTP answer from a provided server also means it listens.
    await probe(`${vaultUrl()}/ping`, 1000);
    return true;
  } catch {
    return false;
  }
}

async function requireProvided() {
  if (!(await reachable())) throw new Error(`POLYVAULT_TEST_AZURE_URL=${vaultUrl()} is set but nothing answers there`);
}

/** Major version of a `java` binary (`java -version` prints to stderr), or undefined when it does not run. */
function javaMajor(javaBin) {
  const r = spawnSync(javaBin, ["-version"], { encoding: "utf8" });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ""}${r.stdout ?? ""}`);
  if (!m) return undefined;
  return m[1] === "1" ? Number(m[2]) : Number(m[1]); // "1.8.0" is Java 8
}

/** A JDK able to run this release: $JAVA_HOME first, then every JDK under /usr/lib/jvm, then `java` on PATH. */
function findJava() {
  const homes = [];
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME);
  if (existsSync("/usr/lib/jvm")) {
    for (const d of readdirSync("/usr/lib/jvm").sort().reverse()) {
      const p = join("/usr/lib/jvm", d);
      if (statSync(p).isDirectory()) homes.push(p);
    }
  }
  const candidates = homes.map((h) => ({ home: h, bin: join(h, "bin", "java") })).filter((c) => existsSync(c.bin));
  const onPath = which("java");
  if (onPath) candidates.push({ home: undefined, bin: onPath });
  for (const c of candidates) {
    const major = javaMajor(c.bin);
    if (major !== undefined && major >= JAVA_MAJOR) return { ...c, major };
  }
  const seen = candidates.map((c) => `${c.bin} (${javaMajor(c.bin) ?? "?"})`).join(", ") || "none";
  throw new MissingToolError(
    `Java ${JAVA_MAJOR}+`,
    `Lowkey Vault ${version} needs a Java ${JAVA_MAJOR} runtime; set JAVA_HOME to one (e.g. Temurin ${JAVA_MAJOR}). Found: ${seen}`,
  );
}

/** Downloads the runnable jar with Maven's own resolver (Maven Central only), into the versioned cache. */
function download(java) {
  const mvn = which("mvn");
  if (!mvn) throw new MissingToolError("mvn", "install Apache Maven 3.6+ (e.g. `apt-get install maven`)");
  const dir = cacheDir(name, version);
  const tmp = join(dir, "download");
  rmSync(tmp, { recursive: true, force: true });
  try {
    run(
      mvn,
      ["-B", "-q", "-U", "-Dstyle.color=never", "dependency:copy", `-Dartifact=${ARTIFACT}:jar`, `-DoutputDirectory=${tmp}`, "-Dmdep.overWriteReleases=true"],
      { env: { ...process.env, ...(java.home ? { JAVA_HOME: java.home } : {}) }, cwd: dir },
    );
  } catch (err) {
    const why = err.message.split("\n").find((l) => /not found|could not|unable/i.test(l)) ?? err.message.split("\n")[0];
    throw new ServerNotAvailableError(
      "Lowkey Vault",
      `could not download ${ARTIFACT} from Maven Central: ${why.replace(/^\[ERROR\]\s*/, "").slice(0, 300)}. ` +
        "Start a Lowkey Vault yourself and set POLYVAULT_TEST_AZURE_URL to it, or make the artifact reachable.",
    );
  }
  // Renamed into place last, so an interrupted download is redone rather than half-trusted.
  renameSync(join(tmp, `lowkey-vault-app-${version}.jar`), jarPath());
  rmSync(tmp, { recursive: true, force: true });
}

export async function install() {
  if (provided()) return requireProvided();
  const java = findJava();
  if (!existsSync(jarPath())) download(java);
}

export async function start() {
  if (provided()) {
    await requireProvided();
    return { endpoint: vaultUrl() };
  }
  if (await reachable()) return { endpoint: vaultUrl() };
  const java = findJava();
  if (!existsSync(jarPath())) download(java);
  const port = new URL(vaultUrl()).port || "443";
  const { log } = startDetached(name, java.bin, [
    "-Xmx512m",
    "-jar",
    jarPath(),
    `--server.port=${port}`,
    "--server.address=127.0.0.1", // loopback only
    // The simulated managed-identity endpoint (plain HTTP) defaults to 8080; keep it next to the vault instead.
    `--app.token.port=${Number(port) + 1}`,
    "--LOWKEY_DEBUG_REQUEST_LOG=false",
    // No auto-registered vaults: their recovery level is "Recoverable" (purge refused, like purge
    // protection). The vault is created below as Azure's default, "Recoverable+Purgeable".
    "--LOWKEY_VAULT_NAMES=-",
  ]);
  await waitFor("Lowkey Vault", reachable, 120_000, log);
  await ensureVault();
  return { endpoint: vaultUrl() };
}

/** One JSON call to Lowkey's management API (no token needed; self-signed certificate accepted). */
function management(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, vaultUrl()),
      {
        method,
        rejectUnauthorized: false,
        timeout: 5000,
        headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () =>
          res.statusCode && res.statusCode < 300
            ? resolve(text ? JSON.parse(text) : undefined)
            : reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`)),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The vault at vaultUrl, soft delete on and purge allowed (Azure's default), created once. */
async function ensureVault() {
  const origin = new URL(vaultUrl()).origin;
  const vaults = await management("GET", "/management/vault");
  if (vaults.some((v) => v.baseUri === origin)) return;
  const port = new URL(origin).port;
  await management("POST", "/management/vault", {
    baseUri: origin,
    aliases: [`https://127.0.0.1:${port}`],
    recoveryLevel: "Recoverable+Purgeable",
    recoverableDays: 90,
  });
}

export async function stop() {
  if (provided()) return; // not ours to stop
  await stopDetached(name);
}

export async function status() {
  return { state: (await reachable()) ? "up" : "down", endpoint: vaultUrl() };
}
