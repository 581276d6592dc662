/**
 * Ownership markers and metadata live in AWS tags. Tags belong to the *secret*, not to a version, and
 * tagging is a separate call from writing a value, so a tag set can describe a version that is no longer
 * current (a crash between the two calls, or a value written out of band). Polyvault therefore records
 * in `pv-version` the version id its metadata describes, and reports metadata in a head only when that
 * id is the version the head names. A stale digest is never shown; a missing one makes the planner
 * look again, which is the safe direction.
 */
import type { Tag } from "@aws-sdk/client-secrets-manager";
import { InvalidInputError, MANAGED_BY_KEY, MANAGED_BY_VALUE, ORIGINAL_NAME_KEY, type SecretMetadata, TENANT_KEY } from "@polyvault/core";

export const VERSION_KEY = "pv-version";
const RESERVED = new Set([MANAGED_BY_KEY, TENANT_KEY, ORIGINAL_NAME_KEY, VERSION_KEY]);
/** AWS: at most 50 tags per secret; keys 1–128, values 0–256 characters of this set. */
const MAX_TAGS = 50;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const METADATA_MAX = MAX_TAGS - RESERVED.size;

export type TagMap = ReadonlyMap<string, string>;

export function tagMap(tags: readonly Tag[] | undefined): TagMap {
  return new Map((tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? ""] as const])));
}

/** Caller metadata as tags; refuses, before any call, what AWS would refuse or what would clash with a marker. */
export function metadataTags(metadata: SecretMetadata | undefined): Tag[] {
  const entries = Object.entries(metadata ?? {});
  if (entries.length > METADATA_MAX)
    throw new InvalidInputError(`aws: at most ${METADATA_MAX} metadata entries fit in a secret's 50 tags (got ${entries.length})`);
  return entries.map(([key, value]) => {
    if (!key.startsWith("pv-") || RESERVED.has(key))
      throw new InvalidInputError(`aws: metadata key ${JSON.stringify(key)} must start with 'pv-' and not be one of ${[...RESERVED].join(", ")}`);
    if (key.length > 128 || !TAG_CHARS.test(key))
      throw new InvalidInputError(`aws: metadata key ${JSON.stringify(key)} is not a valid tag key (1–128 of letters, digits, spaces, _ . : / = + - @)`);
    // The value is metadata such as a digest, not a secret, but a refused value is still not echoed.
    if (typeof value !== "string" || value.length > 256 || !TAG_CHARS.test(value))
      throw new InvalidInputError(`aws: metadata ${key} is not a valid tag value (0–256 of letters, digits, spaces, _ . : / = + - @)`);
    return { Key: key, Value: value };
  });
}

export function ownershipTags(tenant: string, name: string, version: string): Tag[] {
  return [
    { Key: MANAGED_BY_KEY, Value: MANAGED_BY_VALUE },
    { Key: TENANT_KEY, Value: tenant },
    { Key: ORIGINAL_NAME_KEY, Value: name },
    { Key: VERSION_KEY, Value: version },
  ];
}

/** Polyvault wrote this secret for this tenant under this name. */
export function isOwned(tags: TagMap, tenant: string, name: string): boolean {
  return tags.get(MANAGED_BY_KEY) === MANAGED_BY_VALUE && tags.get(TENANT_KEY) === tenant && tags.get(ORIGINAL_NAME_KEY) === name;
}

/** The caller's metadata, if it describes `version`; empty otherwise (see the note at the top). */
export function metadataFor(tags: TagMap, version: string | undefined): SecretMetadata {
  if (version === undefined || tags.get(VERSION_KEY) !== version) return {};
  return Object.fromEntries([...tags].filter(([k]) => k.startsWith("pv-") && !RESERVED.has(k)));
}

/** Metadata keys a previous write left that the new metadata does not have (other tags are not ours). */
export function staleMetadataKeys(tags: TagMap, next: readonly Tag[]): string[] {
  const keep = new Set(next.map((t) => t.Key));
  return [...tags.keys()].filter((k) => k.startsWith("pv-") && !RESERVED.has(k) && !keep.has(k));
}
