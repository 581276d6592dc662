/**
 * Per-version metadata. AWS tags belong to the secret, not to a version, so the metadata of a version
 * that is no longer current (its digest, revision, labels) would be lost with the next write. Polyvault
 * therefore stores each version's metadata with that version's bytes, in a small frame before the value:
 *
 *   "PVMETA1\n" (8 bytes) | JSON length (uint16, big-endian) | JSON of the metadata | the value
 *
 * Only what Polyvault stores as ciphertext is framed (`pv-enc` other than `native`): a `native` value is
 * read by applications straight from AWS, so it stays as it is. A value within a frame's size of AWS's
 * 65,536-byte limit is not framed either. Unframed versions (and those written before frames existed)
 * have the secret's tags as metadata, for the current version only. Frames are only parsed in
 * secrets Polyvault manages, so a value written by another tool is never misread as one.
 */
import type { SecretMetadata } from "@polyvault/core";

const MAGIC = Buffer.from("PVMETA1\n", "latin1");
/** The largest metadata JSON a frame holds (metadataTags() bounds each entry; 2 KiB holds Polyvault's). */
const JSON_MAX = 2048;

/** The bytes to store: the value framed with its metadata, or the value itself when it is not framed. */
export function frame(value: Uint8Array, metadata: SecretMetadata, maxBytes: number): Uint8Array {
  if (Object.keys(metadata).length === 0 || metadata["pv-enc"] === "native") return value;
  const json = Buffer.from(JSON.stringify(metadata), "utf8");
  // Too large a set, or no room left under AWS's limit: the tags alone (current version only).
  if (json.length > JSON_MAX || MAGIC.length + 2 + json.length + value.byteLength > maxBytes) return value;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(json.length, 0);
  return Buffer.concat([MAGIC, len, json, value]);
}

/** Splits stored bytes into the value and the version's own metadata (undefined: not framed). The input is wiped when it was framed. */
export function unframe(stored: Buffer): { value: Buffer; metadata: SecretMetadata | undefined } {
  if (stored.length < MAGIC.length + 2 || !stored.subarray(0, MAGIC.length).equals(MAGIC)) return { value: stored, metadata: undefined };
  const len = stored.readUInt16BE(MAGIC.length);
  const start = MAGIC.length + 2;
  if (len > JSON_MAX || start + len > stored.length) return { value: stored, metadata: undefined };
  let metadata: SecretMetadata | undefined;
  try {
    const parsed = JSON.parse(stored.subarray(start, start + len).toString("utf8")) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string"))
      metadata = parsed as SecretMetadata;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  if (!metadata) return { value: stored, metadata: undefined };
  const value = Buffer.from(stored.subarray(start + len));
  stored.fill(0);
  return { value, metadata };
}
