/**
 * What Polyvault stores in a KV v2 secret, and how it reads back what others stored.
 *
 * Each version's data map is
 *   { pv: <value, base64>, pv_encoding: "base64", pv_meta: { managed-by, pv-tenant, pv-name, ...caller's },
 *     pv_write: <random id of the put that wrote it> }
 * so a version carries its own ownership markers and metadata. The secret's custom_metadata (one map per
 * secret, not per version) repeats them plus `pv-vault-version`, the version they describe: heads and
 * list read only metadata when that matches the current version, and fall back to the version's own
 * pv_meta when it does not (a put that crashed between its two writes, or racing writers).
 *
 * Values written by other tools: a data map with one string field is that string's UTF-8 bytes;
 * anything else is the UTF-8 JSON of the whole map.
 */
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, ORIGINAL_NAME_KEY, type SecretMetadata, TENANT_KEY } from "@polyvault/core";

/** custom_metadata key: the version whose markers and metadata the custom_metadata repeats. */
export const DESCRIBES_KEY = "pv-vault-version";
export const RESERVED_KEYS: readonly string[] = [MANAGED_BY_KEY, TENANT_KEY, ORIGINAL_NAME_KEY, DESCRIBES_KEY];

export interface Owner {
  readonly tenant: string;
  readonly name: string;
}

export function markers(owner: Owner): Record<string, string> {
  return { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [TENANT_KEY]: owner.tenant, [ORIGINAL_NAME_KEY]: owner.name };
}

/** "ours": Polyvault's markers for exactly this tenant and name; "unmarked": no managed-by at all. */
export type Marking = "ours" | "foreign" | "unmarked";

export function marking(meta: Readonly<Record<string, unknown>> | undefined, owner: Owner): Marking {
  if (!meta || meta[MANAGED_BY_KEY] === undefined) return "unmarked";
  const ours = meta[MANAGED_BY_KEY] === MANAGED_BY_VALUE && meta[TENANT_KEY] === owner.tenant && meta[ORIGINAL_NAME_KEY] === owner.name;
  return ours ? "ours" : "foreign";
}

/** The caller's metadata out of a marked map (markers and bookkeeping removed). */
export function callerMetadata(meta: Readonly<Record<string, unknown>>): SecretMetadata {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (!RESERVED_KEYS.includes(k) && typeof v === "string") out[k] = v;
  return out;
}

export function encodeRecord(value: Uint8Array, owner: Owner, metadata: SecretMetadata, writeId: string) {
  return {
    pv: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
    pv_encoding: "base64",
    pv_meta: { ...metadata, ...markers(owner) },
    pv_write: writeId,
  };
}

/** The embedded pv_meta of a version's data map, when it is a string map. */
export function embeddedMeta(data: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const meta = data.pv_meta;
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (typeof v === "string") out[k] = v;
  return out;
}

export function decodeValue(data: Readonly<Record<string, unknown>>): Buffer {
  if (data.pv_encoding === "base64" && typeof data.pv === "string") return Buffer.from(data.pv, "base64");
  const fields = Object.values(data);
  if (fields.length === 1 && typeof fields[0] === "string") return Buffer.from(fields[0], "utf8");
  return Buffer.from(JSON.stringify(data), "utf8");
}
