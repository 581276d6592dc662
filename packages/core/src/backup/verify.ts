/**
 * Checking a bundle before anything is read from it: split off the trailer, verify the Ed25519
 * signature over every byte before it, and only then parse. A bundle altered anywhere (one flipped
 * byte), truncated, extended or signed under another master key is IntegrityError and nothing is used.
 */
import { IntegrityError } from "../errors.js";
import { type Bundle, TrailerLine, parseBody } from "./format.js";
import { type BackupSigner, verifyWithPublicKey } from "./signing.js";

const NOT_A_BUNDLE = "not a Polyvault backup bundle, or damaged";

/** body = bytes before the trailer line; signature from the trailer. */
export function splitBundle(bytes: Buffer): { body: Buffer; signature: Buffer } {
  if (bytes.length < 2 || bytes[bytes.length - 1] !== 0x0a) throw new IntegrityError(`${NOT_A_BUNDLE}: it does not end with a newline`);
  const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.subarray(start, bytes.length - 1).toString("utf8"));
  } catch {
    throw new IntegrityError(`${NOT_A_BUNDLE}: its last line is not a signature`);
  }
  const t = TrailerLine.safeParse(raw);
  if (!t.success) throw new IntegrityError(`${NOT_A_BUNDLE}: its last line is not a signature`);
  return { body: bytes.subarray(0, start), signature: Buffer.from(t.data.signature, "base64") };
}

/** The public key the header claims (unverified: only used to explain a failure). */
function claimedKey(body: Buffer): string | undefined {
  const end = body.indexOf(0x0a);
  try {
    const h = JSON.parse(body.subarray(0, end < 0 ? body.length : end).toString("utf8")) as { signingKey?: unknown };
    return typeof h.signingKey === "string" ? h.signingKey : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies with the key derived from this installation's master key, then parses. */
export function openBundle(bytes: Buffer, signer: BackupSigner): Bundle {
  const { body, signature } = splitBundle(bytes);
  if (!signer.verify(body, signature)) {
    const claimed = claimedKey(body);
    if (claimed !== undefined && claimed !== signer.publicKey.toString("base64")) {
      throw new IntegrityError("backup bundle signature does not verify: it was signed under another master key (or its header was altered)");
    }
    throw new IntegrityError("backup bundle signature does not verify: the bundle was altered or truncated");
  }
  const bundle = parseBody(body);
  if (bundle.header.signingKey !== signer.publicKey.toString("base64"))
    throw new IntegrityError("backup bundle names a signing key other than the one that signed it");
  return bundle;
}

/** Checks a bundle against the public key written in it: detects damage, without the master key. */
export function checkBundleSelfSigned(bytes: Buffer): Bundle {
  const { body, signature } = splitBundle(bytes);
  const claimed = claimedKey(body);
  if (claimed === undefined) throw new IntegrityError(`${NOT_A_BUNDLE}: no signing key in its header`);
  const key = Buffer.from(claimed, "base64");
  if (key.length !== 32 || !verifyWithPublicKey(key, body, signature))
    throw new IntegrityError("backup bundle signature does not verify: the bundle was altered or truncated");
  return parseBody(body);
}
