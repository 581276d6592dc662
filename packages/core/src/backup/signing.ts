/**
 * The backup signing key: an Ed25519 key pair derived from the master key,
 *   seed = HKDF-SHA256(ikm = master key, salt = "polyvault/backup/v1", info = "polyvault/v1|purpose=backup-signing", 32 bytes)
 * so any data directory holding the same master key (a new machine, after a wipe) derives the same key
 * and verifies its bundles, and there is no extra key file to lose. The public key is written into each
 * bundle, so someone without the master key can still check a bundle for damage (`verifyBundleBytes`
 * with that key); only a holder of the master key can tell that it was made by this installation.
 */
import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { InvalidInputError } from "../errors.js";
import { hkdfSha256 } from "../crypto/primitives.js";

const SALT = Buffer.from("polyvault/backup/v1");
const INFO = Buffer.from("polyvault/v1|purpose=backup-signing");
/** DER prefixes of an Ed25519 PKCS#8 private key (RFC 8410) and SPKI public key, before the 32 key bytes. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
export const SIGNATURE_BYTES = 64;

export interface BackupSigner {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  sign(data: Uint8Array): Buffer;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new InvalidInputError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

export function backupSigner(masterKey: Uint8Array): BackupSigner {
  const seed = hkdfSha256(masterKey, SALT, INFO, 32);
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  seed.fill(0);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
  const pub = createPublicKey(privateKey);
  const raw = Buffer.from((pub.export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_PREFIX.length));
  return {
    publicKey: raw,
    sign: (data) => sign(null, data, privateKey),
    verify: (data, signature) => signature.length === SIGNATURE_BYTES && verify(null, data, pub, signature),
  };
}

/** Checks a signature with a raw public key (for people who hold the bundle but not the master key). */
export function verifyWithPublicKey(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === SIGNATURE_BYTES && verify(null, data, publicKeyObject(publicKey), signature);
}
