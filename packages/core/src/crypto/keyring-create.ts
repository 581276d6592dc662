/**
 * When keys/keyring.json may be created. Its version secrets are random: a keyring made anew cannot open
 * anything the lost one sealed, and it starts again at key version 1, so two keyrings would each have a
 * "version 1". A missing keyring is therefore created only in a data directory that has never held
 * anything (`polyvault init`, or the first command with $POLYVAULT_MASTER_KEY), and refused (exit 6) where
 * secrets may be stored: the fix is to restore the file (a copy of keys/, or `polyvault backup restore`).
 */
import { readdir } from "node:fs/promises";
import { dirname } from "node:path";
import { IntegrityError } from "../errors.js";
import { isErrno } from "./files.js";
import { KEYS_DIR, MASTER_KEY_FILE, PASSPHRASE_FILE } from "./master-key.js";

export interface KeyringOpenOptions {
  /**
   * When keys/keyring.json does not exist:
   * - "if-new" (default): create it only if the data directory holds nothing but keys/ with the master
   *   key (master.key or passphrase.json); otherwise refuse with IntegrityError;
   * - "refuse": always refuse;
   * - a function: called first, it throws to refuse (the runtime checks that no configured store holds
   *   Polyvault secrets, which a data-directory check cannot see for cloud providers).
   */
  readonly ifMissing?: "if-new" | "refuse" | (() => Promise<void>) | undefined;
}

/** keys/ entries a data directory has before its first keyring: the master key and lock/temp files. */
const FRESH_KEY_FILES = new Set([MASTER_KEY_FILE, PASSPHRASE_FILE, "keyring.lock"]);

export function keyringMissing(path: string, why: string): IntegrityError {
  return new IntegrityError(
    `${path} is missing, but ${why}; a new keyring could not open what the old one sealed, so none is created. ` +
      "Put the keyring back (from a copy of keys/, or `polyvault backup restore`); `polyvault init` creates one only in an empty data directory",
  );
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
}

/** Resolves when a new keyring may be created for `dataDir`, or throws IntegrityError saying why not. */
export async function mayCreateKeyring(dataDir: string, path: string, ifMissing: NonNullable<KeyringOpenOptions["ifMissing"]>): Promise<void> {
  if (typeof ifMissing === "function") return ifMissing();
  if (ifMissing === "refuse") throw keyringMissing(path, "this caller never creates one");
  const used = (await entries(dataDir)).filter((e) => e !== KEYS_DIR);
  if (used.length > 0) throw keyringMissing(path, `the data directory ${dataDir} has been used (it holds ${used.slice(0, 4).join(", ")})`);
  const keys = (await entries(dirname(path))).filter((e) => !FRESH_KEY_FILES.has(e) && !e.endsWith(".tmp"));
  if (keys.length > 0) throw keyringMissing(path, `keys/ holds ${keys.slice(0, 4).join(", ")}`);
}
