/**
 * The master key: 32 bytes, from (in this order) $POLYVAULT_MASTER_KEY, a passphrase stretched once with
 * scrypt (parameters and salt in keys/passphrase.json), or keys/master.key (32 raw bytes, mode 0600).
 *
 * A master.key accessible to group or others is refused (as ssh refuses such private keys): the fix is
 * one chmod, and a loose key file is exactly the mistake that must not pass silently. Messages name
 * variables and files, never a key or a passphrase.
 */
import { randomBytes } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConflictError, IntegrityError, InvalidInputError, NotFoundError } from "../errors.js";
import { O_READ_NONBLOCK, ensurePrivateDir, isErrno, writeFileExclusive } from "./files.js";
import { checkScryptParams, createPassphraseFile, DEFAULT_SCRYPT, loadPassphraseKey, type Passphrase, type ScryptParams } from "./passphrase.js";

export const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_ENV = "POLYVAULT_MASTER_KEY";
export const PASSPHRASE_ENV = "POLYVAULT_PASSPHRASE";
export const KEYS_DIR = "keys";
export const MASTER_KEY_FILE = "master.key";
export const PASSPHRASE_FILE = "passphrase.json";
export const KEYRING_FILE = "keyring.json";

export type MasterKeySource = "env" | "passphrase" | "file";
export interface MasterKey {
  /** 32 bytes. The caller owns it and wipes it (fill(0)) when done; Keyring keeps its own copy. */
  key: Buffer;
  source: MasterKeySource;
  /** Where it came from, for messages: "$POLYVAULT_MASTER_KEY" or a file path. */
  origin: string;
  /** Things to fix that did not prevent loading (e.g. a keys/ directory open to others). */
  warnings: string[];
}

export const keysDir = (dataDir: string): string => join(dataDir, KEYS_DIR);
const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );
const modeOf = (mode: number): string => (mode & 0o777).toString(8).padStart(4, "0");

/** Decodes $POLYVAULT_MASTER_KEY: canonical base64 (or base64url) of exactly 32 bytes, nothing else. */
export function parseMasterKeyEnv(value: string, variable = MASTER_KEY_ENV): Buffer {
  const v = value.trim();
  const fail = (why: string): never => {
    throw new InvalidInputError(
      `${variable} is not a valid master key: ${why}; it must be the base64 of exactly ${MASTER_KEY_BYTES} random bytes ` +
        "(e.g. from `openssl rand -base64 32`)",
    );
  };
  const url = /[-_]/.test(v);
  if (!(url ? /^[A-Za-z0-9_-]+={0,2}$/ : /^[A-Za-z0-9+/]+={0,2}$/).test(v)) fail(`it is not base64 (${v.length} characters)`);
  const key = Buffer.from(v, url ? "base64url" : "base64");
  const canonical = key.toString(url ? "base64url" : "base64").replace(/=+$/, "");
  const ok = key.length === MASTER_KEY_BYTES && canonical === v.replace(/=+$/, ""); // no stray bits in the last character
  if (!ok) {
    const got = key.length;
    key.fill(0);
    fail(got === MASTER_KEY_BYTES ? "it is not canonical base64" : `it decodes to ${got} bytes`);
  }
  return key;
}

/**
 * Creates <dataDir>/keys (0700) and either master.key (32 random bytes, 0600, O_EXCL) or, with a
 * passphrase, passphrase.json. Refuses with ConflictError if any key file already exists: keys are
 * never replaced. Returns the new master key so the caller can open the keyring without stretching twice.
 */
export async function initMasterKey(dataDir: string, options: { passphrase?: Passphrase; scrypt?: Partial<ScryptParams> } = {}): Promise<MasterKey> {
  const dir = keysDir(dataDir);
  const existing: string[] = [];
  for (const f of [MASTER_KEY_FILE, PASSPHRASE_FILE, KEYRING_FILE]) if (await exists(join(dir, f))) existing.push(f);
  if (existing.length > 0) {
    throw new ConflictError(`keys already exist in ${dir} (${existing.join(", ")}); refusing to overwrite them`);
  }
  const params: ScryptParams = { ...DEFAULT_SCRYPT, ...options.scrypt };
  if (options.passphrase !== undefined) {
    // Everything that can be refused is refused before anything is created.
    checkScryptParams(params, "initMasterKey");
    if (options.passphrase.length === 0) throw new InvalidInputError("the passphrase is empty");
  }
  await ensurePrivateDir(dir);
  try {
    if (options.passphrase === undefined) {
      const path = join(dir, MASTER_KEY_FILE);
      const key = randomBytes(MASTER_KEY_BYTES);
      await writeFileExclusive(path, key);
      return { key, source: "file", origin: path, warnings: [] };
    }
    const path = join(dir, PASSPHRASE_FILE);
    const key = await createPassphraseFile(path, options.passphrase, params);
    return { key, source: "passphrase", origin: path, warnings: [] };
  } catch (err) {
    if (isErrno(err, "EEXIST")) throw new ConflictError(`keys were just created in ${dir} by another process; refusing to overwrite them`);
    throw err;
  }
}

async function loadFromFile(dir: string, warnings: string[]): Promise<MasterKey> {
  const path = join(dir, MASTER_KEY_FILE);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // Non-blocking: a FIFO planted at master.key opens at once and is refused below, instead of hanging.
    fh = await open(path, O_READ_NONBLOCK);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
    if (await exists(join(dir, PASSPHRASE_FILE))) {
      throw new InvalidInputError(
        `this data directory is protected by a passphrase (${join(dir, PASSPHRASE_FILE)}); ` + `give it with --passphrase-stdin or $${PASSPHRASE_ENV}`,
      );
    }
    throw new NotFoundError(`no master key: set $${MASTER_KEY_ENV}, or create one with \`polyvault init\` (looked for ${path})`);
  }
  try {
    const st = await fh.stat(); // of the opened file: no race between the check and the read
    if (!st.isFile()) throw new InvalidInputError(`${path} is not a regular file`);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new InvalidInputError(`${path} is accessible to group or others (mode ${modeOf(st.mode)}); run \`chmod 600 ${path}\``);
    }
    if (st.size !== MASTER_KEY_BYTES) throw new IntegrityError(`${path} must hold exactly ${MASTER_KEY_BYTES} bytes, it holds ${st.size}`);
    if (typeof process.getuid === "function" && st.uid !== process.getuid()) {
      warnings.push(`${path} is owned by uid ${st.uid}, not by this process's uid ${process.getuid()}`);
    }
    const key = Buffer.alloc(MASTER_KEY_BYTES);
    const { bytesRead } = await fh.read(key, 0, MASTER_KEY_BYTES, 0);
    if (bytesRead !== MASTER_KEY_BYTES) throw new IntegrityError(`${path} could not be read in full`);
    return { key, source: "file", origin: path, warnings };
  } finally {
    await fh.close();
  }
}

/**
 * Loads the master key: $POLYVAULT_MASTER_KEY; else the passphrase (the option, else
 * $POLYVAULT_PASSPHRASE) with keys/passphrase.json; else keys/master.key. An empty variable is unset.
 */
export async function loadMasterKey(options: {
  dataDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  passphrase?: Passphrase;
}): Promise<MasterKey> {
  const env = options.env ?? process.env;
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    return { key: parseMasterKeyEnv(fromEnv), source: "env", origin: `$${MASTER_KEY_ENV}`, warnings: [] };
  }
  const dir = keysDir(options.dataDir);
  const warnings: string[] = [];
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat !== undefined && process.platform !== "win32" && (dirStat.mode & 0o077) !== 0) {
    warnings.push(`${dir} is accessible to group or others (mode ${modeOf(dirStat.mode)}); run \`chmod 700 ${dir}\``);
  }
  const envPass = env[PASSPHRASE_ENV];
  const passphrase = options.passphrase ?? (envPass !== undefined && envPass !== "" ? envPass : undefined);
  if (passphrase === undefined) return loadFromFile(dir, warnings);
  const path = join(dir, PASSPHRASE_FILE);
  if (!(await exists(path))) {
    const hasFile = await exists(join(dir, MASTER_KEY_FILE));
    throw new InvalidInputError(
      `a passphrase was given but ${path} does not exist` +
        (hasFile ? ` (this data directory uses ${join(dir, MASTER_KEY_FILE)}; give no passphrase)` : " (run `polyvault init --passphrase-stdin`)"),
    );
  }
  return { key: await loadPassphraseKey(path, passphrase), source: "passphrase", origin: path, warnings };
}
