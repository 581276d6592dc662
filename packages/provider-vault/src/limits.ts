/**
 * Limits checked before anything is sent.
 *
 * Value size: KV v2 has no small hard limit of its own (Vault's listener refuses requests over
 * max_request_size, 32 MiB by default), but Vault's integrated storage (Raft) refuses any storage
 * entry over max_entry_size, 1 MiB by default, and one KV version is one entry. Values are stored
 * base64-encoded (4/3 of their size) with the metadata beside them, so Polyvault accepts values of at
 * most 512 KiB: 683 KiB once encoded, which leaves room for the markers, the caller's metadata and the
 * entry's own framing under 1 MiB on a default Raft cluster.
 *
 * custom_metadata: KV v2 allows at most 64 keys, keys of 1–128 bytes and values of 1–512 bytes, all
 * printable (Go's unicode.IsPrint). Polyvault uses four keys itself (managed-by, pv-tenant, pv-name,
 * pv-vault-version), which leaves 60 for the caller; a pair outside these rules is refused here with
 * InvalidInputError rather than by Vault after the value was already written.
 */
import { InvalidInputError, type SecretMetadata, TooLargeError } from "@polyvault/core";
import { RESERVED_KEYS } from "./record.js";

export const MAX_VALUE_BYTES = 512 * 1024;
const MAX_CUSTOM_KEYS = 64;
const MAX_KEY_BYTES = 128;
const MAX_VALUE_META_BYTES = 512;
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

export function checkValueSize(name: string, size: number): void {
  if (size > MAX_VALUE_BYTES) {
    throw new TooLargeError(`value for ${JSON.stringify(name)} is ${size} bytes; vault values are at most ${MAX_VALUE_BYTES} bytes`);
  }
}

export function checkMetadata(name: string, metadata: SecretMetadata): void {
  const bad = (why: string) => new InvalidInputError(`metadata for ${JSON.stringify(name)}: ${why}`);
  const keys = Object.keys(metadata);
  const room = MAX_CUSTOM_KEYS - RESERVED_KEYS.length;
  if (keys.length > room) throw bad(`${keys.length} keys; vault custom_metadata leaves room for at most ${room}`);
  for (const key of keys) {
    const value = metadata[key];
    if (RESERVED_KEYS.includes(key)) throw bad(`key ${JSON.stringify(key)} is reserved for Polyvault's own markers`);
    if (typeof value !== "string") throw bad(`value of ${JSON.stringify(key)} is not a string`);
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes === 0 || keyBytes > MAX_KEY_BYTES) throw bad(`key ${JSON.stringify(key)} must be 1-${MAX_KEY_BYTES} bytes`);
    const valueBytes = Buffer.byteLength(value);
    if (valueBytes === 0 || valueBytes > MAX_VALUE_META_BYTES) {
      throw bad(`value of ${JSON.stringify(key)} must be 1-${MAX_VALUE_META_BYTES} bytes (vault custom_metadata)`);
    }
    if (!PRINTABLE.test(key) || !PRINTABLE.test(value)) throw bad(`key or value of ${JSON.stringify(key)} has unprintable characters`);
  }
}
