/**
 * Ownership markers and caller metadata, both kept in Azure tags. Tags belong to one version, so every
 * write carries the full set. `pv-version` is the version's own id, written right after the version is
 * created: listing returns the current version's tags but not its id, and this tag lets list() report
 * the version without reading each secret (a version without it is read instead).
 */
import { InvalidInputError, MANAGED_BY_KEY, MANAGED_BY_VALUE, ORIGINAL_NAME_KEY, type SecretMetadata, TENANT_KEY } from "@polyvault/core";

export const VERSION_TAG = "pv-version";
const RESERVED = new Set([MANAGED_BY_KEY, TENANT_KEY, ORIGINAL_NAME_KEY, VERSION_TAG]);
/** Azure's limits on tags: 15 per secret, names up to 512 characters, values up to 256. */
export const AZURE_MAX_TAGS = 15;
const TAG_NAME_MAX = 512;
const TAG_VALUE_MAX = 256;
/** Tags left for the caller's metadata. */
export const MAX_METADATA_KEYS = AZURE_MAX_TAGS - RESERVED.size;

export type Tags = Record<string, string>;

/** The tags of a new version: markers plus the caller's metadata. Refuses what Azure could not store. */
export function buildTags(tenant: string, name: string, metadata: SecretMetadata | undefined, what: string): Tags {
  const entries = Object.entries(metadata ?? {});
  if (entries.length > MAX_METADATA_KEYS)
    throw new InvalidInputError(`${what}: ${entries.length} metadata keys, over the ${MAX_METADATA_KEYS} that Azure's ${AZURE_MAX_TAGS} tags leave`);
  const tags: Tags = { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [TENANT_KEY]: tenant, [ORIGINAL_NAME_KEY]: name };
  for (const [k, v] of entries) {
    if (RESERVED.has(k)) throw new InvalidInputError(`${what}: metadata key ${JSON.stringify(k)} is reserved for Polyvault's own markers`);
    if (typeof v !== "string") throw new InvalidInputError(`${what}: metadata ${JSON.stringify(k)} must be a string`);
    if (k.length === 0 || k.length > TAG_NAME_MAX) throw new InvalidInputError(`${what}: metadata key must be 1–${TAG_NAME_MAX} characters`);
    if (v.length > TAG_VALUE_MAX)
      throw new InvalidInputError(`${what}: metadata ${JSON.stringify(k)} is longer than Azure's ${TAG_VALUE_MAX}-character tag values`);
    tags[k] = v;
  }
  return tags;
}

/** true when Polyvault wrote this version for exactly this tenant and name. */
export function isManaged(tags: Tags | undefined, tenant: string, name: string): boolean {
  return tags?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE && tags[TENANT_KEY] === tenant && tags[ORIGINAL_NAME_KEY] === name;
}

/** The caller's metadata from a managed version's tags (markers left out). */
export function metadataOf(tags: Tags | undefined): SecretMetadata {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (!RESERVED.has(k)) out[k] = v;
  return out;
}
