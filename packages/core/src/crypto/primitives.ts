/**
 * Thin wrappers over node:crypto: AES-256-GCM with fixed sizes (32-byte key, 96-bit IV, 128-bit tag),
 * HKDF-SHA256, HMAC-SHA256 and a constant-time HMAC check. Everything above this file uses these, so
 * the size rules live in one place. Errors never contain key, IV or data bytes.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { IntegrityError, InvalidInputError } from "../errors.js";

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const SHA256_BYTES = 32;
/** RFC 5869: HKDF output is at most 255 hash blocks. */
export const HKDF_SHA256_MAX_BYTES = 255 * SHA256_BYTES;

const GCM = "aes-256-gcm";

function checkKey(key: Uint8Array): void {
  if (key.length !== AES_KEY_BYTES) {
    throw new InvalidInputError(`AES-256-GCM needs a ${AES_KEY_BYTES}-byte key, got ${key.length} bytes`);
  }
}

export interface GcmSealed {
  ciphertext: Buffer;
  tag: Buffer;
}

/** AES-256-GCM encryption. The caller guarantees that (key, iv) is never used twice. */
export function aesGcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): GcmSealed {
  checkKey(key);
  if (iv.length !== GCM_IV_BYTES) {
    throw new InvalidInputError(`AES-256-GCM needs a ${GCM_IV_BYTES}-byte IV, got ${iv.length} bytes`);
  }
  const cipher = createCipheriv(GCM, key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  const ciphertext = rest.length === 0 ? body : Buffer.concat([body, rest]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * AES-256-GCM decryption and verification. A wrong key length is the caller's mistake
 * (InvalidInputError); a wrong IV or tag length, or a failed tag check, means the stored data is not
 * what was sealed (IntegrityError). No plaintext is released unless the tag verifies.
 */
export function aesGcmOpen(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  checkKey(key);
  if (iv.length !== GCM_IV_BYTES) {
    throw new IntegrityError(`AES-256-GCM IV must be ${GCM_IV_BYTES} bytes, got ${iv.length}`);
  }
  if (tag.length !== GCM_TAG_BYTES) {
    throw new IntegrityError(`AES-256-GCM tag must be ${GCM_TAG_BYTES} bytes, got ${tag.length}`);
  }
  const decipher = createDecipheriv(GCM, key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const body = decipher.update(ciphertext);
  try {
    const rest = decipher.final();
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch {
    // Unauthenticated output must not escape, not even to the garbage collector intact.
    body.fill(0);
    throw new IntegrityError("AES-256-GCM authentication failed: the data, its associated data or the key is wrong");
  }
}

/** HMAC-SHA256 over the concatenation of `data` parts. */
export function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const h = createHmac("sha256", key);
  for (const d of data) h.update(d);
  return h.digest();
}

/**
 * Constant-time HMAC-SHA256 check. Only a full 32-byte tag is accepted: a truncated (or over-long)
 * tag returns false, and it is still compared against a fixed-size buffer so the time taken does not
 * depend on where the given tag differs or on how long it is.
 */
export function hmacSha256Verify(key: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
  const expected = hmacSha256(key, data);
  const given = Buffer.alloc(SHA256_BYTES);
  given.set(tag.subarray(0, SHA256_BYTES));
  const same = timingSafeEqual(expected, given);
  return same && tag.length === SHA256_BYTES;
}

/**
 * HKDF-SHA256 (RFC 5869), extract then expand, written over HMAC-SHA256 because that is measurably
 * faster than node's hkdfSync for the short outputs used here (it is checked against hkdfSync and the
 * Wycheproof vectors in the tests). An empty salt means 32 zero bytes, as the RFC says.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_BYTES) {
    throw new InvalidInputError(`HKDF-SHA256 output length must be 1..${HKDF_SHA256_MAX_BYTES} bytes, got ${length}`);
  }
  const prk = createHmac("sha256", salt.length === 0 ? ZERO_SALT : salt)
    .update(ikm)
    .digest();
  const blocks = Math.ceil(length / SHA256_BYTES);
  const out = Buffer.allocUnsafe(blocks * SHA256_BYTES);
  let previous: Buffer | undefined;
  for (let i = 1; i <= blocks; i++) {
    const h = createHmac("sha256", prk);
    if (previous !== undefined) h.update(previous);
    const block = h
      .update(info)
      .update(COUNTER[i] as Buffer)
      .digest();
    previous?.fill(0);
    block.copy(out, (i - 1) * SHA256_BYTES);
    previous = block;
  }
  prk.fill(0);
  previous?.fill(0);
  if (out.length === length) return out;
  const trimmed = Buffer.from(out.subarray(0, length));
  out.fill(0);
  return trimmed;
}

const ZERO_SALT = Buffer.alloc(SHA256_BYTES);
/** The one-byte block counters 1..255 of HKDF-Expand, allocated once. */
const COUNTER: readonly Buffer[] = Array.from({ length: 256 }, (_, i) => Buffer.from([i]));
