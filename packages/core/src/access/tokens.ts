/**
 * Bearer tokens: a principal is stored as the SHA-256 of its token, and a presented token is matched by
 * comparing digests with crypto.timingSafeEqual against *every* principal, with no early return: the time
 * taken does not depend on which principal matched, nor on how much of a token was right (both sides are
 * 32-byte digests, so length and prefix never show either).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { PrincipalSpec } from "./types.js";

export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The id of the principal whose token this is, or undefined. */
export function principalForToken(token: string, principals: Readonly<Record<string, PrincipalSpec>>): string | undefined {
  const presented = createHash("sha256").update(token, "utf8").digest();
  let found: string | undefined;
  for (const [id, spec] of Object.entries(principals)) {
    const stored = Buffer.from(spec.tokenSha256, "hex");
    // A malformed stored digest (the schema forbids it) is compared against itself so the work stays the same.
    const match = timingSafeEqual(presented, stored.length === 32 ? stored : presented) && stored.length === 32;
    if (match && found === undefined) found = id;
  }
  return found;
}
