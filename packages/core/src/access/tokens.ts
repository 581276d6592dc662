/**
 * Bearer tokens: a principal is stored as the SHA-256 of its token, and a presented token is matched by
 * comparing digests with crypto.timingSafeEqual against *every* principal, with no early return: the time
 * taken does not depend on which principal matched, nor on how much of a token was right (both sides are
 * 32-byte digests, so length and prefix never show either). The stored digests are decoded once per
 * access configuration, not on every request.
 */
import { hash, timingSafeEqual } from "node:crypto";
import type { PrincipalSpec } from "./types.js";

export function tokenSha256(token: string): string {
  return hash("sha256", token, "hex");
}

type Stored = ReadonlyArray<readonly [id: string, digest: Buffer | undefined]>;
const decoded = new WeakMap<object, Stored>();

/** Each principal's stored digest as bytes (undefined when malformed: the schema forbids it), once per configuration. */
function storedDigests(principals: Readonly<Record<string, PrincipalSpec>>): Stored {
  let stored = decoded.get(principals);
  if (!stored) {
    stored = Object.entries(principals).map(([id, spec]) => {
      const digest = Buffer.from(spec.tokenSha256, "hex");
      return [id, digest.length === 32 ? digest : undefined] as const;
    });
    decoded.set(principals, stored);
  }
  return stored;
}

/**
 * A token's SHA-256 as computed earlier in the same request (a gateway's rate limiter keys on it): used
 * only for that very token, so a stale or mismatched one can never stand in for another token's.
 */
export interface TokenDigest {
  readonly token: string;
  readonly sha256: Buffer;
}

/** The id of the principal whose token this is, or undefined. */
export function principalForToken(token: string, principals: Readonly<Record<string, PrincipalSpec>>, known?: TokenDigest): string | undefined {
  const presented = known !== undefined && known.token === token && known.sha256.length === 32 ? known.sha256 : hash("sha256", token, "buffer");
  let found: string | undefined;
  for (const [id, stored] of storedDigests(principals)) {
    // A malformed stored digest is compared against the presented one itself, so the work stays the same.
    const match = timingSafeEqual(presented, stored ?? presented) && stored !== undefined;
    if (match && found === undefined) found = id;
  }
  return found;
}
