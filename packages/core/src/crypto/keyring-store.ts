/**
 * Reading and changing keys/keyring.json. Every change is made under keys/keyring.lock (O_EXCL) on a
 * fresh read of the file, after checking that the file belongs to this master key, and written
 * atomically (temp file + fsync + rename + fsync of the directory, mode 0600): two processes rotating at
 * once both get their version, and a crash leaves the old file or the new one, never a mix.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { NotFoundError } from "../errors.js";
import { ensurePrivateDir, isErrno, readRegularText, withLockFile, writeFileAtomic } from "./files.js";
import {
  checkValue,
  KEYRING_FORMAT,
  type KeyringFile,
  parseKeyringFile,
  serializeKeyringFile,
  VERSION_SECRET_BYTES,
  verifyCheck,
  wrapKey,
  wrapSecret,
} from "./keyring-file.js";

export const KEYRING_LOCK_FILE = "keyring.lock";

/** The parsed file, or undefined if it does not exist. Damage is IntegrityError naming the file. */
export async function readKeyringFile(path: string): Promise<KeyringFile | undefined> {
  let text: string;
  try {
    text = await readRegularText(path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
  return parseKeyringFile(text, path);
}

/**
 * Under the lock: reads the file (or, with `create`, starts an empty one), checks it against `master`,
 * lets `edit` change a copy and writes that copy if `edit` returns true. Returns the resulting state.
 */
export async function changeKeyringFile(path: string, master: Uint8Array, edit: (draft: KeyringFile) => boolean, create = false): Promise<KeyringFile> {
  const dir = join(path, "..");
  await ensurePrivateDir(dir);
  return withLockFile(join(dir, KEYRING_LOCK_FILE), async () => {
    let file = await readKeyringFile(path);
    if (file === undefined) {
      if (!create) throw new NotFoundError(`${path} no longer exists`);
      file = { format: KEYRING_FORMAT, check: checkValue(master).toString("base64"), versions: [] };
    }
    verifyCheck(file, master); // never add a version wrapped under another master key
    const draft = structuredClone(file);
    if (!edit(draft)) return file;
    await writeFileAtomic(path, serializeKeyringFile(draft));
    return draft;
  });
}

/** Appends key version n+1 with a fresh random 32-byte secret, wrapped under the master key. */
export function appendVersion(file: KeyringFile, master: Uint8Array): true {
  const version = file.versions.length + 1;
  const secret = randomBytes(VERSION_SECRET_BYTES);
  const kek = wrapKey(master);
  try {
    const wrappedSecret = wrapSecret(kek, version, secret);
    file.versions.push({ version, createdAt: new Date().toISOString(), state: "active", wrappedSecret });
  } finally {
    kek.fill(0);
    secret.fill(0);
  }
  return true;
}
