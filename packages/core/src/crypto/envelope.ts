/**
 * Polyvault ciphertext, format v1: self-describing and key-committing (docs/security-model.md).
 *
 *   0  2  magic "PV"           4  4  key version (u32 BE)   12 32 salt          56 32 commitment
 *   2  1  format version 0x01  8  4  revision (u32 BE)      44 12 nonce         88  n AES-GCM ciphertext
 *   3  1  suite 0x02 (or 0x01)                                                  88+n 16 GCM tag
 *
 * Suite 2 (written): okm = keyring.secretKey(tenant, keyVersion, name), a per-secret HKDF output derived
 * once and cached. Suite 1 (read): okm = HKDF-SHA256(tenantKey(tenant, keyVersion), salt, "polyvault/v1/dek", 64).
 * Either way data key = okm[0..32],
 * commitment = okm[32..64], checked in constant time before decrypting. AAD = header[0..88] ‖
 * u16(len tenant) ‖ tenant ‖ u16(len name) ‖ name, so a ciphertext moved to another tenant, name,
 * revision or key version, or altered anywhere, fails with IntegrityError.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { IntegrityError, InvalidInputError } from "../errors.js";
import { asBuffer, buildAad, ENVELOPE_OVERHEAD, FORMAT_VERSION, HEADER_BYTES, parseHeader, SUITE_AES256GCM_SECRET_KEY_COMMIT } from "./envelope-format.js";
import type { Keyring } from "./keyring.js";
import { GCM_TAG_BYTES, hkdfSha256 } from "./primitives.js";
import { fillRandomFromPool } from "./random-pool.js";

const MAX_U32 = 0xffff_ffff;
const DEK_INFO = Buffer.from("polyvault/v1/dek");
const GCM = "aes-256-gcm";

export interface SealContext {
  tenant: string;
  name: string;
  /** The secret's Polyvault revision (1, 2, …); opening checks it when asked to. */
  revision: number;
}
export interface OpenContext {
  tenant: string;
  name: string;
  expectedRevision?: number | undefined;
}
export interface Opened {
  plaintext: Buffer;
  keyVersion: number;
  revision: number;
}

/** Encrypts `plaintext` for (tenant, name, revision) under the keyring's current key version. */
export function seal(keyring: Keyring, ctx: SealContext, plaintext: Uint8Array): Buffer {
  if (!(plaintext instanceof Uint8Array)) throw new InvalidInputError("the value to seal must be bytes (Uint8Array)");
  const { revision } = ctx;
  if (!Number.isInteger(revision) || revision < 1 || revision > MAX_U32) {
    throw new InvalidInputError(`revision must be an integer from 1 to ${MAX_U32}, got ${String(revision)}`);
  }
  const keyVersion = keyring.current;
  // Suite 2: the per-secret data key and its commitment, derived once per (tenant, version, name).
  const okm = keyring.secretKey(ctx.tenant, keyVersion, ctx.name);
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + n);
  out[0] = 0x50;
  out[1] = 0x56;
  out[2] = FORMAT_VERSION;
  out[3] = SUITE_AES256GCM_SECRET_KEY_COMMIT;
  out.writeUInt32BE(keyVersion, 4);
  out.writeUInt32BE(revision, 8);
  fillRandomFromPool(out, 12, 44); // salt (authenticated, unused by suite 2) ‖ nonce: one draw
  okm.copy(out, 56, 32, 64); // commitment
  const aad = buildAad(out, ctx.tenant, ctx.name);
  const cipher = createCipheriv(GCM, okm.subarray(0, 32), out.subarray(44, 56), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  cipher.update(plaintext).copy(out, HEADER_BYTES);
  cipher.final(); // GCM emits nothing here
  cipher.getAuthTag().copy(out, HEADER_BYTES + n);
  return out;
}

const where = (ctx: OpenContext): string => `tenant ${JSON.stringify(ctx.tenant)}, secret ${JSON.stringify(ctx.name)}`;

/** Verifies and decrypts a ciphertext sealed for (tenant, name) (and expectedRevision, if given). */
export function open(keyring: Keyring, ctx: OpenContext, ciphertext: Uint8Array): Opened {
  const h = parseHeader(ciphertext);
  const buf = asBuffer(ciphertext);
  if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== h.revision) {
    throw new IntegrityError(`ciphertext is for revision ${h.revision}, expected revision ${ctx.expectedRevision} (${where(ctx)})`);
  }
  const aad = buildAad(buf, ctx.tenant, ctx.name);
  // Suite 1 (per-message key, read only) derives from the salt; suite 2 uses the cached per-secret key.
  const perMessage = h.suite !== SUITE_AES256GCM_SECRET_KEY_COMMIT;
  const okm = perMessage
    ? hkdfSha256(keyring.tenantKey(ctx.tenant, h.keyVersion), h.salt, DEK_INFO, 64)
    : keyring.secretKey(ctx.tenant, h.keyVersion, ctx.name);
  try {
    if (!timingSafeEqual(okm.subarray(32, 64), h.commitment)) {
      throw new IntegrityError(`ciphertext does not authenticate (${where(ctx)}): key commitment mismatch`);
    }
    const decipher = createDecipheriv(GCM, okm.subarray(0, 32), h.nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(buf.subarray(buf.length - GCM_TAG_BYTES));
    const plaintext = decipher.update(buf.subarray(HEADER_BYTES, buf.length - GCM_TAG_BYTES));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      throw new IntegrityError(`ciphertext does not authenticate (${where(ctx)}): altered, or sealed for another tenant, name or revision`);
    }
    return { plaintext, keyVersion: h.keyVersion, revision: h.revision };
  } finally {
    if (perMessage) okm.fill(0);
  }
}

/**
 * A stable, keyed digest of a value, for comparing providers without decrypting:
 * "hmac-sha256:" + hex(HMAC-SHA256(digestKey(tenant), u16 BE len(name) ‖ name ‖ value)).
 */
export function digest(keyring: Keyring, tenant: string, name: string, value: Uint8Array | string): string {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 0xffff) throw new InvalidInputError("secret name is longer than 65535 bytes");
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(nameBytes.length, 0);
  const h = createHmac("sha256", keyring.digestKey(tenant)).update(len).update(nameBytes);
  h.update(typeof value === "string" ? Buffer.from(value, "utf8") : value);
  return `hmac-sha256:${h.digest("hex")}`;
}
