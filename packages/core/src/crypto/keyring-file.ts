/**
 * keys/keyring.json: the list of key versions, each holding a random 32-byte secret wrapped with
 * AES-256-GCM under a key derived from the master key (the AAD binds the version number), plus a key
 * check value so that a wrong master key is told apart from a damaged entry.
 *
 * {
 *   "format": "polyvault-keyring/v1",
 *   "check": "<base64, 32 bytes: HKDF(master, salt, 'polyvault/v1|purpose=keyring-check')>",
 *   "versions": [
 *     { "version": 1, "createdAt": "…", "state": "retired", "retiredAt": "…", "wrappedSecret": null },
 *     { "version": 2, "createdAt": "…", "state": "active", "wrappedSecret": "<base64 iv(12) ‖ ct(32) ‖ tag(16)>" }
 *   ]
 * }
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { IntegrityError } from "../errors.js";
import { aesGcmOpen, aesGcmSeal, GCM_IV_BYTES, GCM_TAG_BYTES, hkdfSha256 } from "./primitives.js";

export const KEYRING_FORMAT = "polyvault-keyring/v1";
export const VERSION_SECRET_BYTES = 32;
const WRAPPED_BYTES = GCM_IV_BYTES + VERSION_SECRET_BYTES + GCM_TAG_BYTES;
const KEYRING_SALT = Buffer.from("polyvault/keyring/v1");
const WRAP_INFO = Buffer.from("polyvault/v1|purpose=keyring-wrap");
const CHECK_INFO = Buffer.from("polyvault/v1|purpose=keyring-check");

export type KeyState = "active" | "retired";
export interface KeyringEntry {
  version: number;
  createdAt: string;
  state: KeyState;
  retiredAt?: string;
  wrappedSecret: string | null;
}
export interface KeyringFile {
  format: string;
  check: string;
  versions: KeyringEntry[];
}

export const wrapKey = (master: Uint8Array): Buffer => hkdfSha256(master, KEYRING_SALT, WRAP_INFO, 32);
export const checkValue = (master: Uint8Array): Buffer => hkdfSha256(master, KEYRING_SALT, CHECK_INFO, 32);
const wrapAad = (version: number): Buffer => Buffer.from(`polyvault/keyring/v1|key-version=${version}`);

export function wrapSecret(kek: Uint8Array, version: number, secret: Uint8Array): string {
  const iv = randomBytes(GCM_IV_BYTES);
  const { ciphertext, tag } = aesGcmSeal(kek, iv, wrapAad(version), secret);
  return Buffer.concat([iv, ciphertext, tag]).toString("base64");
}

export function unwrapSecret(kek: Uint8Array, path: string, entry: KeyringEntry): Buffer {
  const raw = Buffer.from(entry.wrappedSecret ?? "", "base64");
  if (raw.length !== WRAPPED_BYTES) {
    throw new IntegrityError(`${path} is damaged: the wrapped secret of key version ${entry.version} has the wrong size`);
  }
  try {
    return aesGcmOpen(
      kek,
      raw.subarray(0, GCM_IV_BYTES),
      wrapAad(entry.version),
      raw.subarray(GCM_IV_BYTES, GCM_IV_BYTES + VERSION_SECRET_BYTES),
      raw.subarray(GCM_IV_BYTES + VERSION_SECRET_BYTES),
    );
  } catch {
    throw new IntegrityError(`${path} is damaged: the wrapped secret of key version ${entry.version} does not authenticate`);
  }
}

export function wrongMasterKey(): IntegrityError {
  return new IntegrityError(
    "the master key does not match this data directory's keyring (keys/keyring.json); " + "check POLYVAULT_MASTER_KEY / keys/master.key / the passphrase",
  );
}

/** Throws wrongMasterKey() unless the file's check value was made from `master`. */
export function verifyCheck(file: KeyringFile, master: Uint8Array): void {
  const expected = checkValue(master);
  const stored = Buffer.from(file.check, "base64");
  const ok = stored.length === expected.length && timingSafeEqual(stored, expected);
  expected.fill(0);
  if (!ok) throw wrongMasterKey();
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Parses and validates the whole file; anything unexpected is IntegrityError naming the file. */
export function parseKeyringFile(text: string, path: string): KeyringFile {
  const damaged = (why: string): never => {
    throw new IntegrityError(`${path} is damaged: ${why}`);
  };
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    return damaged("not JSON");
  }
  const file = f as Partial<KeyringFile>;
  if (typeof f !== "object" || f === null || file.format !== KEYRING_FORMAT) damaged(`not a ${KEYRING_FORMAT} file`);
  if (typeof file.check !== "string" || Buffer.from(file.check, "base64").length !== 32) damaged("bad check value");
  if (!Array.isArray(file.versions) || file.versions.length === 0) damaged("no key versions");
  const versions = file.versions as unknown[];
  versions.forEach((v, i) => {
    const e = v as Partial<KeyringEntry>;
    if (typeof v !== "object" || v === null || e.version !== i + 1) damaged(`entry ${i + 1} is not key version ${i + 1}`);
    if (typeof e.createdAt !== "string" || !ISO.test(e.createdAt)) damaged(`key version ${i + 1} has no valid createdAt`);
    if (e.state === "active" && typeof e.wrappedSecret === "string") return;
    if (e.state === "retired" && e.wrappedSecret === null) return;
    damaged(`key version ${i + 1} has an invalid state or wrapped secret`);
  });
  if ((versions[versions.length - 1] as KeyringEntry).state !== "active") damaged("the newest key version is retired");
  return file as KeyringFile;
}

export const serializeKeyringFile = (file: KeyringFile): string => `${JSON.stringify(file, null, 2)}\n`;
