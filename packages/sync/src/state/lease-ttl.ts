/** One check of a lease TTL for both stores: positive, and no longer than MAX_LEASE_MS. */
import { InvalidInputError } from "@polyvault/core";
import { MAX_LEASE_MS } from "./types.js";

export function checkLeaseTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidInputError(`a lease TTL must be a positive number of milliseconds, got ${ttlMs}`);
  if (ttlMs > MAX_LEASE_MS) throw new InvalidInputError(`a lease TTL may be at most ${MAX_LEASE_MS} ms (renew it instead), got ${ttlMs}`);
  return ttlMs;
}
