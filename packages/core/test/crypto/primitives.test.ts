import { hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import { aesGcmOpen, aesGcmSeal, HKDF_SHA256_MAX_BYTES, hkdfSha256, hmacSha256, hmacSha256Verify } from "../../src/crypto/index.js";
import { caughtSync } from "./helpers.js";

describe("aesGcmSeal / aesGcmOpen", () => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const aad = Buffer.from("aad");

  it("round-trips, including empty plaintext", () => {
    for (const pt of [Buffer.alloc(0), Buffer.from("x"), randomBytes(5000)]) {
      const { ciphertext, tag } = aesGcmSeal(key, iv, aad, pt);
      expect(ciphertext.length).toBe(pt.length);
      expect(tag.length).toBe(16);
      expect(aesGcmOpen(key, iv, aad, ciphertext, tag).equals(pt)).toBe(true);
    }
  });

  it("refuses a key that is not 32 bytes (InvalidInputError) on both sides", () => {
    for (const n of [0, 16, 24, 31, 33, 64]) {
      expect(() => aesGcmSeal(randomBytes(n), iv, aad, Buffer.from("x"))).toThrow(InvalidInputError);
      expect(() => aesGcmOpen(randomBytes(n), iv, aad, Buffer.from("x"), randomBytes(16))).toThrow(InvalidInputError);
    }
  });

  it("refuses an IV that is not 12 bytes and a tag that is not 16 bytes", () => {
    for (const n of [0, 1, 8, 11, 13, 16, 64]) {
      expect(() => aesGcmSeal(key, randomBytes(n), aad, Buffer.from("x"))).toThrow(InvalidInputError);
      expect(() => aesGcmOpen(key, randomBytes(n), aad, Buffer.from("x"), randomBytes(16))).toThrow(IntegrityError);
    }
    const { ciphertext, tag } = aesGcmSeal(key, iv, aad, Buffer.from("secret"));
    for (const n of [0, 4, 8, 12, 15, 17, 32]) {
      const t = Buffer.alloc(n);
      tag.copy(t, 0, 0, Math.min(n, 16));
      expect(() => aesGcmOpen(key, iv, aad, ciphertext, t)).toThrow(IntegrityError);
    }
  });

  it("fails with IntegrityError on a wrong key, IV, AAD, ciphertext or tag, without revealing data", () => {
    const pt = Buffer.from("canary-plaintext-123");
    const { ciphertext, tag } = aesGcmSeal(key, iv, aad, pt);
    const flip = (b: Buffer) => {
      const c = Buffer.from(b);
      c[0] = (c[0] ?? 0) ^ 1;
      return c;
    };
    const attempts = [
      () => aesGcmOpen(flip(key), iv, aad, ciphertext, tag),
      () => aesGcmOpen(key, flip(iv), aad, ciphertext, tag),
      () => aesGcmOpen(key, iv, flip(aad), ciphertext, tag),
      () => aesGcmOpen(key, iv, aad, flip(ciphertext), tag),
      () => aesGcmOpen(key, iv, aad, ciphertext, flip(tag)),
    ];
    for (const a of attempts) {
      const err = caughtSync(a);
      expect(err).toBeInstanceOf(IntegrityError);
      expect(err.message).not.toContain("canary");
      expect(err.message).not.toContain(key.toString("hex"));
    }
  });
});

describe("hkdfSha256", () => {
  it("matches node's hkdfSync for many lengths and input sizes", () => {
    for (const length of [1, 16, 31, 32, 33, 64, 65, 100, 255, 1000, HKDF_SHA256_MAX_BYTES]) {
      const ikm = randomBytes(1 + (length % 70));
      const salt = randomBytes(length % 3 === 0 ? 0 : 32);
      const info = randomBytes(length % 50);
      expect(hkdfSha256(ikm, salt, info, length).equals(Buffer.from(hkdfSync("sha256", ikm, salt, info, length)))).toBe(true);
    }
  });

  it("refuses lengths outside 1..8160", () => {
    for (const n of [0, -1, 1.5, HKDF_SHA256_MAX_BYTES + 1, Number.NaN]) {
      expect(() => hkdfSha256(randomBytes(32), Buffer.alloc(0), Buffer.alloc(0), n)).toThrow(InvalidInputError);
    }
  });
});

describe("hmacSha256 / hmacSha256Verify", () => {
  const key = randomBytes(32);
  const data = Buffer.from("message");
  const tag = hmacSha256(key, data);

  it("verifies its own tag and only that", () => {
    expect(tag.length).toBe(32);
    expect(hmacSha256Verify(key, data, tag)).toBe(true);
    expect(hmacSha256Verify(randomBytes(32), data, tag)).toBe(false);
    expect(hmacSha256Verify(key, Buffer.from("messagf"), tag)).toBe(false);
    for (let i = 0; i < 32; i++) {
      const t = Buffer.from(tag);
      t[i] = (t[i] ?? 0) ^ 0x80;
      expect(hmacSha256Verify(key, data, t)).toBe(false);
    }
  });

  it("rejects truncated, extended and empty tags without throwing", () => {
    expect(hmacSha256Verify(key, data, tag.subarray(0, 16))).toBe(false);
    expect(hmacSha256Verify(key, data, tag.subarray(0, 31))).toBe(false);
    expect(hmacSha256Verify(key, data, Buffer.alloc(0))).toBe(false);
    expect(hmacSha256Verify(key, data, Buffer.concat([tag, Buffer.from([0])]))).toBe(false);
    expect(hmacSha256Verify(key, data, Buffer.concat([tag, tag]))).toBe(false);
  });

  it("hashes several parts as their concatenation", () => {
    expect(hmacSha256(key, Buffer.from("mess"), Buffer.from("age")).equals(tag)).toBe(true);
  });
});
