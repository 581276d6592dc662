/**
 * Random bytes for public per-message values (envelope salt and nonce), taken from a 4 KiB buffer
 * refilled from the CSPRNG (randomFillSync) when it runs out, as node's own randomUUID() does. One
 * randomFillSync call costs about as much as a whole AES-GCM encryption of 1 KiB, so drawing 44 bytes
 * at a time from a pool is a large part of the envelope's speed. Every byte is used once and then
 * zeroed in the pool. Never use this for keys: those come from randomBytes() directly.
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let offset = POOL_BYTES;

/** Writes `length` (≤ 4096) fresh random bytes into `target` at `at`. */
export function fillRandomFromPool(target: Buffer, at: number, length: number): void {
  if (length > POOL_BYTES) {
    randomFillSync(target, at, length);
    return;
  }
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(target, at, offset, offset + length);
  pool.fill(0, offset, offset + length);
  offset += length;
}
