/** Crypto-random secret generation without modulo bias (crypto.randomInt is uniform). */
import { randomInt } from "node:crypto";
import { InvalidInputError } from "../errors.js";

export const ALPHABETS = {
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  hex: "0123456789abcdef",
  base64url: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  ascii: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~",
} as const;

export interface GenerateOptions {
  /** Number of characters (default 32, 8–4096). */
  readonly length?: number | undefined;
  /** A named alphabet or the characters to draw from (default alphanumeric). */
  readonly alphabet?: keyof typeof ALPHABETS | (string & {}) | undefined;
}

export function generateSecret(options: GenerateOptions = {}): Buffer {
  const length = options.length ?? 32;
  if (!Number.isInteger(length) || length < 8 || length > 4096) {
    throw new InvalidInputError(`generated secret length must be a whole number from 8 to 4096 (got ${length})`);
  }
  const chosen = options.alphabet ?? "alphanumeric";
  // Object.hasOwn: `constructor` or `toString` is a list of characters, not a property of ALPHABETS.
  const chars = Object.hasOwn(ALPHABETS, chosen) ? ALPHABETS[chosen as keyof typeof ALPHABETS] : chosen;
  const unique = [...new Set(chars)];
  if (unique.length < 2 || unique.some((c) => c.length !== 1 || c.charCodeAt(0) > 126 || c.charCodeAt(0) < 33)) {
    throw new InvalidInputError("alphabet must name a known alphabet or list at least 2 printable ASCII characters");
  }
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (unique[randomInt(unique.length)] as string).charCodeAt(0);
  return out;
}
