/**
 * The audit signing key: Ed25519, PKCS#8 PEM in <dataDir>/keys/audit-signing.key (0600, directory 0700),
 * created on first use. Synchronous, because a checkpoint may be signed from the process-exit hook.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { IntegrityError } from "../errors.js";
import { AUDIT_FILES } from "./types.js";

export interface AuditKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** HMAC key for each record's `mac` (HKDF of the private key): only the key holder can write a valid record. */
  readonly macKey: Buffer;
}

export function signingKeyPath(dataDir: string): string {
  return join(dataDir, AUDIT_FILES.key);
}

function parse(path: string, pem: string): AuditKeys {
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`key type ${privateKey.asymmetricKeyType}`);
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const macKey = Buffer.from(hkdfSync("sha256", der, Buffer.alloc(0), "polyvault-audit-record-mac/v1", 32));
    return { privateKey, publicKey: createPublicKey(privateKey), macKey };
  } catch (err) {
    throw new IntegrityError(`audit signing key ${path} is not a valid Ed25519 private key (${(err as Error).message})`);
  }
}

/** Loads the key; undefined when it does not exist yet. */
export function loadSigningKey(dataDir: string): AuditKeys | undefined {
  const path = signingKeyPath(dataDir);
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parse(path, pem);
}

/** Keys this process created (so their presence is no sign of an earlier chain: evidence.ts). */
const createdHere = new Set<string>();

export function createdByThisProcess(dataDir: string): boolean {
  return createdHere.has(signingKeyPath(dataDir));
}

/** The chain's first entries are written: from now on the key is evidence of a chain, here too. */
export function chainStarted(dataDir: string): void {
  createdHere.delete(signingKeyPath(dataDir));
}

function logExists(dataDir: string): boolean {
  try {
    return statSync(join(dataDir, AUDIT_FILES.log)).size > 0 || existsSync(join(dataDir, AUDIT_FILES.head));
  } catch {
    return existsSync(join(dataDir, AUDIT_FILES.head));
  }
}

/**
 * Loads the key, creating it first if needed. Never over a log it would have signed: a missing key next
 * to an existing audit.log or audit.head was deleted, and a new one would leave that log unverifiable
 * (IntegrityError; `allowNew` is for `audit new-chain`, after the old log was moved aside).
 */
export function ensureSigningKey(dataDir: string, options: { allowNew?: boolean } = {}): AuditKeys {
  const existing = loadSigningKey(dataDir);
  if (existing) return existing;
  const path = signingKeyPath(dataDir);
  if (!options.allowNew && logExists(dataDir))
    throw new IntegrityError(
      `audit signing key ${path} is missing although the log it signed exists (${AUDIT_FILES.log}, ${AUDIT_FILES.head}): it was deleted or moved; a new key would leave that log unverifiable, so appends are refused (restore the key, or after an investigation start a new chain: \`polyvault audit new-chain\`)`,
    );
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (process.platform !== "win32") chmodSync(dirname(path), 0o700);
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  // Written whole to a temporary file, then hard-linked into place: link() fails if the key exists,
  // so a racing process never reads a half-written key, and the first key created wins.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    createdHere.add(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return parse(path, readFileSync(path, "utf8"));
  } finally {
    unlinkSync(tmp);
  }
  return parse(path, pem);
}
