/**
 * Passphrase stretching: scrypt (N = 2^17, r = 8, p = 1 by default), done once at start-up. The salt
 * (16 random bytes) and the parameters live in keys/passphrase.json with a verifier,
 * HMAC-SHA256(stretched key, "polyvault/v1|purpose=passphrase-verifier"), so a wrong passphrase is
 * reported as such instead of as a keyring that does not match. The verifier gives an attacker holding
 * the file nothing the keyring's own check value would not: each guess still costs one scrypt.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { IntegrityError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors.js";
import { isErrno, readRegularText, writeFileExclusive } from "./files.js";
import { hmacSha256 } from "./primitives.js";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
/** 128 MiB and a fraction of a second, once per start-up (OWASP's scrypt minimum is N = 2^17, r = 8, p = 1). */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
export type Passphrase = string | Uint8Array;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = "polyvault-passphrase/v1";
const VERIFIER_LABEL = Buffer.from("polyvault/v1|purpose=passphrase-verifier");

interface PassphraseFile extends ScryptParams {
  format: string;
  kdf: "scrypt";
  salt: string;
  verifier: string;
  createdAt: string;
}

function passphraseBytes(passphrase: Passphrase): Buffer {
  // NFC, so the same passphrase typed on different systems gives the same bytes.
  const b = typeof passphrase === "string" ? Buffer.from(passphrase.normalize("NFC"), "utf8") : Buffer.from(passphrase);
  if (b.length === 0) throw new InvalidInputError("the passphrase is empty");
  return b;
}

/** Refuses parameters outside N ∈ {2^14..2^22}, r ∈ 1..32, p ∈ 1..16. */
export function checkScryptParams(params: ScryptParams, where: string, Err: new (m: string) => Error = InvalidInputError): void {
  const { N, r, p } = params;
  const ok =
    Number.isInteger(N) &&
    N >= 2 ** 14 &&
    N <= 2 ** 22 &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16;
  if (!ok) throw new Err(`${where}: scrypt parameters out of range (N a power of 2 in 2^14..2^22, r 1..32, p 1..16)`);
}

/** scrypt → 32 bytes, with the memory limit raised to what the parameters need. */
export async function stretchPassphrase(passphrase: Passphrase, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  checkScryptParams(params, "stretchPassphrase");
  const pw = passphraseBytes(passphrase);
  const maxmem = 128 * params.r * (params.N + params.p + 2) + 1024 * 1024;
  return new Promise<Buffer>((resolve, reject) => {
    scryptCb(pw, salt, KEY_BYTES, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => {
      pw.fill(0);
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Stretches a new passphrase with a fresh salt and writes `path` (O_EXCL, 0600). Returns the key. */
export async function createPassphraseFile(path: string, passphrase: Passphrase, params: ScryptParams): Promise<Buffer> {
  checkScryptParams(params, "passphrase");
  const salt = randomBytes(SALT_BYTES);
  const key = await stretchPassphrase(passphrase, salt, params);
  const file: PassphraseFile = {
    format: FORMAT,
    kdf: "scrypt",
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString("base64"),
    verifier: hmacSha256(key, VERIFIER_LABEL).toString("base64"),
    createdAt: new Date().toISOString(),
  };
  await writeFileExclusive(path, `${JSON.stringify(file, null, 2)}\n`);
  return key;
}

async function readPassphraseFile(path: string): Promise<PassphraseFile> {
  let text: string;
  try {
    text = await readRegularText(path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new NotFoundError(`${path} does not exist`);
    throw err;
  }
  const damaged = (why: string): never => {
    throw new IntegrityError(`${path} is damaged: ${why}`);
  };
  let f: Partial<PassphraseFile> | null;
  try {
    f = JSON.parse(text) as Partial<PassphraseFile> | null;
  } catch {
    return damaged("not JSON");
  }
  if (typeof f !== "object" || f === null || f.format !== FORMAT || f.kdf !== "scrypt") return damaged(`not a ${FORMAT} file`);
  if (typeof f.salt !== "string" || Buffer.from(f.salt, "base64").length !== SALT_BYTES) damaged("bad salt");
  if (typeof f.verifier !== "string" || Buffer.from(f.verifier, "base64").length !== 32) damaged("bad verifier");
  checkScryptParams({ N: f.N as number, r: f.r as number, p: f.p as number }, path, IntegrityError);
  return f as PassphraseFile;
}

/** Stretches `passphrase` with the salt and parameters in `path`; a wrong one is UnauthorizedError. */
export async function loadPassphraseKey(path: string, passphrase: Passphrase): Promise<Buffer> {
  const f = await readPassphraseFile(path);
  const key = await stretchPassphrase(passphrase, Buffer.from(f.salt, "base64"), { N: f.N, r: f.r, p: f.p });
  const expected = hmacSha256(key, VERIFIER_LABEL);
  if (!timingSafeEqual(expected, Buffer.from(f.verifier, "base64"))) {
    key.fill(0);
    throw new UnauthorizedError(`the passphrase is wrong for this data directory (${path})`);
  }
  return key;
}
