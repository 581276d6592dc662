#!/usr/bin/env node
// A throwaway PostgreSQL cluster for the tests: installs PostgreSQL from Debian's packages when it is
// missing, runs initdb into a temp dir as a non-root user (postgres refuses to run as root), starts it
// on a free loopback port (trust auth on 127.0.0.1 only, unix socket in the temp dir), and stops and
// removes it. Nothing is cached in the repository. If POLYVAULT_TEST_PG_URL is set, that server is used
// instead: start only checks it, stop leaves it alone.
//   import { startCluster } from "../../../test/pg/cluster.mjs"   (tests: beforeAll / afterAll)
//   node test/pg/cluster.mjs up|down|status [--json]               (a person, a shell script)
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const SUPERUSER = "polyvault";

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${`${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n")}`);
  return r.stdout;
}

/** The newest PostgreSQL server binaries: $POLYVAULT_PG_BINDIR, Debian's /usr/lib/postgresql/N/bin, then PATH. */
export function findBinDir() {
  const given = process.env.POLYVAULT_PG_BINDIR;
  if (given) {
    if (!existsSync(join(given, "initdb"))) throw new Error(`POLYVAULT_PG_BINDIR=${given} has no initdb`);
    return given;
  }
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  const r = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  return r.status === 0 ? join(r.stdout.trim(), "..") : undefined;
}

/** PostgreSQL's server binaries, installed with apt-get when missing (as root, as CI and this machine run). */
export function ensureInstalled() {
  const found = findBinDir();
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error(
      "PostgreSQL is not installed and this is not root: run `apt-get install -y postgresql` (or set POLYVAULT_PG_BINDIR, or POLYVAULT_TEST_PG_URL)",
    );
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update"], { env });
  run("apt-get", ["install", "-y", "--no-install-recommends", "postgresql"], { env });
  const bin = findBinDir();
  if (!bin) throw new Error("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql");
  return bin;
}

/** Runs a server binary as the `postgres` system user when we are root, as ourselves otherwise. */
function asServerUser(bin, args, opts) {
  if (process.getuid?.() !== 0) return run(bin, args, opts);
  return run("runuser", ["-u", "postgres", "--", bin, ...args], opts);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const serverUrl = (port, db = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;

/**
 * Starts a fresh cluster. Returns { url, port, dir, createDatabase(name) -> url, stop() }.
 * `fsync: false` trades durability for speed (fine for a throwaway cluster; benchmarks keep it on).
 * `watchdog` (default on) stops and removes the cluster when this process dies without calling stop()
 * (a killed test worker): pg_ctl detaches the server, so nothing else would.
 */
export async function startCluster({ fsync = true, watchdog = true } = {}) {
  const provided = process.env.POLYVAULT_TEST_PG_URL;
  if (provided) return providedCluster(provided);
  const bin = ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), "pv-pg-"));
  if (process.getuid?.() === 0) chownSync(dir, Number(run("id", ["-u", "postgres"]).trim()), Number(run("id", ["-g", "postgres"]).trim()));
  const data = join(dir, "data");
  const opts = { cwd: dir };
  try {
    asServerUser(join(bin, "initdb"), ["-D", data, "-U", SUPERUSER, "-E", "UTF8", "--no-locale", "--no-sync", "--auth=trust"], opts);
    // Only the unix socket (in the temp dir) and 127.0.0.1 may connect; nothing else is in the file.
    // (initdb created the file as the server user; rewriting it in place keeps its owner.)
    writeFileSync(join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
    let lastError;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort(); // another process could take it before postgres binds: retry
      const settings = ["-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", `fsync=${fsync ? "on" : "off"}`];
      try {
        asServerUser(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "-o", settings.join(" "), "start"], opts);
      } catch (err) {
        lastError = err;
        continue;
      }
      if (watchdog) startWatchdog(bin, dir);
      return clusterHandle({ bin, dir, data, port });
    }
    throw new Error(`PostgreSQL did not start: ${lastError?.message}\n${tail(join(dir, "server.log"))}`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function startWatchdog(bin, dir) {
  const stop = process.getuid?.() === 0 ? 'runuser -u postgres -- "$PV_PGCTL"' : '"$PV_PGCTL"';
  const script = `while kill -0 "$PV_PID" 2>/dev/null && [ -d "$PV_DIR" ]; do sleep 1; done
[ -d "$PV_DIR/data" ] && ${stop} -D "$PV_DIR/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$PV_DIR"`;
  const env = { PATH: process.env.PATH, PV_PID: String(process.pid), PV_DIR: dir, PV_PGCTL: join(bin, "pg_ctl") };
  spawn("sh", ["-c", script], { cwd: tmpdir(), env, detached: true, stdio: "ignore" }).unref();
}

function tail(file) {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-15).join("\n") : "";
}

function clusterHandle({ bin, dir, data, port }) {
  let n = 0;
  return {
    url: serverUrl(port),
    port,
    dir,
    /** A new empty database (one per test keeps tests apart); returns its URL. */
    createDatabase(name = `t${process.pid}_${++n}`) {
      run(join(bin, "psql"), ["-h", dir, "-p", String(port), "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE "${name}"`]);
      return serverUrl(port, name);
    },
    stop() {
      try {
        asServerUser(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], { cwd: dir });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function providedCluster(url) {
  const u = new URL(url);
  const psql = findBinDir() ? join(findBinDir(), "psql") : "psql";
  let n = 0;
  return {
    url,
    port: Number(u.port || 5432),
    dir: undefined,
    createDatabase(name = `t${process.pid}_${Date.now()}_${++n}`) {
      run(psql, [url, "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE "${name}"`]);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop() {
      // a provided server is not ours to stop
    },
  };
}

// CLI: the cluster's location is kept in a file outside the repository so that `down` finds it.
const stateFile = () => join(process.env.POLYVAULT_EMULATOR_RUN ?? join(tmpdir(), "polyvault-pg"), "cluster.json");

/** The saved cluster when its server answers (pg_isready on its socket). */
function running(saved) {
  if (!saved?.dir || !existsSync(saved.dir)) return false;
  return spawnSync(join(saved.bin, "pg_isready"), ["-h", saved.dir, "-p", String(saved.port), "-q"]).status === 0;
}

async function cli(cmd, json) {
  const file = stateFile();
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  if (process.env.POLYVAULT_TEST_PG_URL) return print(json, { state: "provided", url: process.env.POLYVAULT_TEST_PG_URL });
  if (cmd === "up") {
    if (running(saved)) return print(json, { state: "up", url: saved.url, dir: saved.dir });
    if (saved?.dir) clusterHandle({ bin: saved.bin, dir: saved.dir, data: join(saved.dir, "data"), port: saved.port }).stop(); // a dead one
    const c = await startCluster({ watchdog: false }); // it outlives this command, until `down`
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, JSON.stringify({ url: c.url, dir: c.dir, port: c.port, bin: findBinDir() }));
    return print(json, { state: "up", url: c.url, dir: c.dir });
  }
  if (cmd === "down") {
    if (saved?.dir && existsSync(saved.dir)) clusterHandle({ bin: saved.bin, dir: saved.dir, data: join(saved.dir, "data"), port: saved.port }).stop();
    rmSync(file, { force: true });
    return print(json, { state: "down" });
  }
  if (cmd === "status") return print(json, running(saved) ? { state: "up", url: saved.url, dir: saved.dir } : { state: "down" });
  console.error(`pg cluster: unknown command '${cmd}' (use up, down or status)`);
  process.exit(2);
}

function print(json, r) {
  if (json) console.log(JSON.stringify(r));
  else console.log(r.url ? `${r.state} ${r.url}\nexport POLYVAULT_TEST_PG_URL=${r.url}` : r.state);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  cli(args.find((a) => !a.startsWith("--")) ?? "status", args.includes("--json")).catch((err) => {
    console.error(`pg cluster: ${err.message}`);
    process.exit(1);
  });
}
