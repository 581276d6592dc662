/**
 * Polyvault ciphertext, format v1: the header and the associated data (docs/security-model.md).
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
import { IntegrityError, InvalidInputError } from "../errors.js";
import { GCM_TAG_BYTES } from "./primitives.js";

export const FORMAT_VERSION = 1;
export const SUITE_AES256GCM_HKDF_COMMIT = 1;
/** Suite 2: AES-256-GCM under a per-secret data key (derived once per tenant, key version and name). */
export const SUITE_AES256GCM_SECRET_KEY_COMMIT = 2;
export const HEADER_BYTES = 88;
/** Bytes a ciphertext adds to its plaintext. */
export const ENVELOPE_OVERHEAD = HEADER_BYTES + GCM_TAG_BYTES;
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
export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Reads and checks the header; anything that is not a well-formed v1 ciphertext is IntegrityError. */
export function parseHeader(input: Uint8Array): EnvelopeHeader {
  if (!(input instanceof Uint8Array)) throw new IntegrityError(NOT_OURS);
  const buf = asBuffer(input);
  if (buf.length < 3 || buf[0] !== 0x50 || buf[1] !== 0x56) throw new IntegrityError(NOT_OURS);
  if (buf[2] !== FORMAT_VERSION) throw new IntegrityError(`unsupported Polyvault ciphertext format version ${buf[2]}`);
  if (buf.length < ENVELOPE_OVERHEAD) {
    throw new IntegrityError(`truncated Polyvault ciphertext: ${buf.length} bytes, at least ${ENVELOPE_OVERHEAD} expected`);
  }
  const suite = buf[3] as number;
  if (suite !== SUITE_AES256GCM_HKDF_COMMIT && suite !== SUITE_AES256GCM_SECRET_KEY_COMMIT)
    throw new IntegrityError(`unsupported Polyvault cipher suite ${suite}`);
  const keyVersion = buf.readUInt32BE(4);
  const revision = buf.readUInt32BE(8);
  if (keyVersion === 0) throw new IntegrityError("invalid Polyvault ciphertext: key version 0");
  if (revision === 0) throw new IntegrityError("invalid Polyvault ciphertext: revision 0");
  return {
    formatVersion: FORMAT_VERSION,
    suite,
    keyVersion,
    revision,
    salt: buf.subarray(12, 44),
    nonce: buf.subarray(44, 56),
    commitment: buf.subarray(56, 88),
    ciphertextLength: buf.length - ENVELOPE_OVERHEAD,
  };
}

/** header[0..88] ‖ u16 BE len(tenant) ‖ tenant ‖ u16 BE len(name) ‖ name (UTF-8). */
export function buildAad(header: Buffer, tenant: string, name: string): Buffer {
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
