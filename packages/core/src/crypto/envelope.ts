/**
 * Polyvault ciphertext, format v1: self-describing and key-committing (docs/security-model.md).
 *
 *   0  2  magic "PV"           4  4  key version (u32 BE)   12 32 salt          56 32 commitment
 *   2  1  format version 0x01  8  4  revision (u32 BE)      44 12 nonce         88  n AES-GCM ciphertext
 *   3  1  suite 0x01                                                            88+n 16 GCM tag
 *
 * okm = HKDF-SHA256(tenantKey(tenant, keyVersion), salt, "polyvault/v1/dek", 64): data key = okm[0..32],
 * commitment = okm[32..64], checked in constant time before decrypting. AAD = header[0..88] ‖
 * u16(len tenant) ‖ tenant ‖ u16(len name) ‖ name, so a ciphertext moved to another tenant, name,
 * revision or key version, or altered anywhere, fails with IntegrityError.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { IntegrityError, InvalidInputError } from "../errors.js";
import type { Keyring } from "./keyring.js";
import { GCM_TAG_BYTES, hkdfSha256 } from "./primitives.js";
import { fillRandomFromPool } from "./random-pool.js";

export const FORMAT_VERSION = 1;
export const SUITE_AES256GCM_HKDF_COMMIT = 1;
export const HEADER_BYTES = 88;
/** Bytes a ciphertext adds to its plaintext. */
export const ENVELOPE_OVERHEAD = HEADER_BYTES + GCM_TAG_BYTES;
const MAX_U32 = 0xffff_ffff;
const DEK_INFO = Buffer.from("polyvault/v1/dek");
const GCM = "aes-256-gcm";
const NOT_OURS = "not a Polyvault ciphertext";

export interface EnvelopeHeader {
  formatVersion: number;
  suite: number;
  keyVersion: number;
  revision: number;
  salt: Buffer;
  nonce: Buffer;
  commitment: Buffer;
  /** Length of the AES-GCM ciphertext (= the plaintext's length). */
  ciphertextLength: number;
}
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

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Reads and checks the header; anything that is not a well-formed v1 ciphertext is IntegrityError. */
export function parseHeader(input: Uint8Array): EnvelopeHeader {
  if (!(input instanceof Uint8Array)) throw new IntegrityError(NOT_OURS);
  const buf = asBuffer(input);
  if (buf.length < 3 || buf[0] !== 0x50 || buf[1] !== 0x56) throw new IntegrityError(NOT_OURS);
  if (buf[2] !== FORMAT_VERSION) throw new IntegrityError(`unsupported Polyvault ciphertext format version ${buf[2]}`);
  if (buf.length < ENVELOPE_OVERHEAD) {
    throw new IntegrityError(`truncated Polyvault ciphertext: ${buf.length} bytes, at least ${ENVELOPE_OVERHEAD} expected`);
  }
  if (buf[3] !== SUITE_AES256GCM_HKDF_COMMIT) throw new IntegrityError(`unsupported Polyvault cipher suite ${buf[3]}`);
  const keyVersion = buf.readUInt32BE(4);
  const revision = buf.readUInt32BE(8);
  if (keyVersion === 0) throw new IntegrityError("invalid Polyvault ciphertext: key version 0");
  if (revision === 0) throw new IntegrityError("invalid Polyvault ciphertext: revision 0");
  return {
    formatVersion: FORMAT_VERSION,
    suite: SUITE_AES256GCM_HKDF_COMMIT,
    keyVersion,
    revision,
    salt: buf.subarray(12, 44),
    nonce: buf.subarray(44, 56),
    commitment: buf.subarray(56, 88),
    ciphertextLength: buf.length - ENVELOPE_OVERHEAD,
  };
}

/** header[0..88] ‖ u16 BE len(tenant) ‖ tenant ‖ u16 BE len(name) ‖ name (UTF-8). */
function buildAad(header: Buffer, tenant: string, name: string): Buffer {
  if (typeof tenant !== "string" || tenant === "") throw new InvalidInputError("tenant must be a non-empty string");
  if (typeof name !== "string" || name === "") throw new InvalidInputError("secret name must be a non-empty string");
  const tl = Buffer.byteLength(tenant, "utf8");
  const nl = Buffer.byteLength(name, "utf8");
  if (tl > 0xffff || nl > 0xffff) throw new InvalidInputError("tenant or secret name is longer than 65535 bytes");
  const aad = Buffer.allocUnsafe(HEADER_BYTES + 4 + tl + nl);
  header.copy(aad, 0, 0, HEADER_BYTES);
  aad.writeUInt16BE(tl, HEADER_BYTES);
  aad.write(tenant, HEADER_BYTES + 2, "utf8");
  aad.writeUInt16BE(nl, HEADER_BYTES + 2 + tl);
  aad.write(name, HEADER_BYTES + 4 + tl, "utf8");
  return aad;
}

/** Encrypts `plaintext` for (tenant, name, revision) under the keyring's current key version. */
export function seal(keyring: Keyring, ctx: SealContext, plaintext: Uint8Array): Buffer {
  if (!(plaintext instanceof Uint8Array)) throw new InvalidInputError("the value to seal must be bytes (Uint8Array)");
  const { revision } = ctx;
  if (!Number.isInteger(revision) || revision < 1 || revision > MAX_U32) {
    throw new InvalidInputError(`revision must be an integer from 1 to ${MAX_U32}, got ${String(revision)}`);
  }
  const keyVersion = keyring.current;
  const tenantKey = keyring.tenantKey(ctx.tenant, keyVersion);
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + n);
  out[0] = 0x50;
  out[1] = 0x56;
  out[2] = FORMAT_VERSION;
  out[3] = SUITE_AES256GCM_HKDF_COMMIT;
  out.writeUInt32BE(keyVersion, 4);
  out.writeUInt32BE(revision, 8);
  fillRandomFromPool(out, 12, 44); // salt ‖ nonce: one draw
  const okm = hkdfSha256(tenantKey, out.subarray(12, 44), DEK_INFO, 64);
  try {
    okm.copy(out, 56, 32, 64); // commitment
    const aad = buildAad(out, ctx.tenant, ctx.name);
    const cipher = createCipheriv(GCM, okm.subarray(0, 32), out.subarray(44, 56), { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    cipher.update(plaintext).copy(out, HEADER_BYTES);
    cipher.final(); // GCM emits nothing here
    cipher.getAuthTag().copy(out, HEADER_BYTES + n);
    return out;
  } finally {
    okm.fill(0);
  }
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
  const tenantKey = keyring.tenantKey(ctx.tenant, h.keyVersion);
  const okm = hkdfSha256(tenantKey, h.salt, DEK_INFO, 64);
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
      throw new IntegrityError(
        `ciphertext does not authenticate (${where(ctx)}): altered, or sealed for another tenant, name or revision`,
      );
    }
    return { plaintext, keyVersion: h.keyVersion, revision: h.revision };
  } finally {
    okm.fill(0);
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
