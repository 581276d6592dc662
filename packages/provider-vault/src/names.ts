/**
 * (tenant, secret name) ↔ Vault KV v2 secret path.
 *
 * A KV v2 path is a '/'-separated string of arbitrary segments; every character Polyvault allows in a
 * tenant id or a secret name (`A-Za-z0-9_.-/`) is URL-safe and means nothing special to Vault, so the
 * mapping is a plain join, `<prefix>/<tenant>/<name>`, sent without escaping:
 * - injective: a tenant id never contains '/', so the first '/' after the prefix ends the tenant;
 * - case-sensitive, like Vault's paths: `A_B` and `a_b` are two secrets;
 * - a name may be both a secret and a folder (`db` and `db/url`): KV v2 keeps a key's metadata and the
 *   folder below it apart, and LIST shows them as `db` and `db/`;
 * - '.' / '..' segments, '//' and a leading or trailing '/' are already refused by the core schema;
 *   they are exactly what an HTTP stack would normalise away, so nothing can alias once sent.
 * Vault sets no length limit on a path (KV v2 stores each segment encrypted and the versions under a
 * salted hash), so every valid (tenant, name) fits.
 */
import { InvalidInputError, type NameCheck, SecretNameSchema, type TenantId, TenantIdSchema } from "@polyvault/core";

export const VAULT_NAME_RULE =
  "tenant ids and secret names as Polyvault defines them (letters, digits, '_', '-', '.', '/'), case-sensitive; " +
  "stored as the KV v2 path <prefix>/<tenant>/<name> in the configured mount";

/** Segments of `A-Za-z0-9_.-`, none of them '.' or '..', separated by single '/'. */
const SEGMENTS = /^(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)*$/;

export interface VaultNameCodec {
  readonly prefix: string;
  /** The KV path (inside the mount) for (tenant, name), or why it cannot be held. */
  encode(tenant: TenantId, name: string): NameCheck;
  /** The folder holding every secret of this tenant, with its trailing '/'. */
  tenantFolder(tenant: TenantId): string;
  /** The secret name for a path inside this tenant's folder, or undefined when it is not a valid name. */
  decode(tenant: TenantId, path: string): string | undefined;
}

/** Validates a configured prefix or mount path; throws InvalidInputError naming the rule it breaks. */
export function checkPathOption(what: "prefix" | "mount", value: string): string {
  if (!SEGMENTS.test(value)) {
    throw new InvalidInputError(
      `vault ${what} ${JSON.stringify(value)} must be segments of A-Za-z0-9_.- (no '.' or '..' segment) separated by single '/', not starting or ending with '/'`,
    );
  }
  return value;
}

export function createVaultNameCodec(prefix = "polyvault"): VaultNameCodec {
  checkPathOption("prefix", prefix);
  const tenantFolder = (tenant: TenantId) => `${prefix}/${tenant}/`;
  return {
    prefix,
    tenantFolder,
    encode(tenant, name) {
      const t = TenantIdSchema.safeParse(tenant);
      if (!t.success) return { ok: false, reason: `invalid tenant id: ${t.error.issues[0]?.message}` };
      const n = SecretNameSchema.safeParse(name);
      if (!n.success) return { ok: false, reason: `invalid secret name: ${n.error.issues[0]?.message}` };
      return { ok: true, nativeName: `${tenantFolder(tenant)}${name}` };
    },
    decode(tenant, path) {
      const folder = tenantFolder(tenant);
      if (!path.startsWith(folder)) return undefined;
      const name = path.slice(folder.length);
      return SecretNameSchema.safeParse(name).success ? name : undefined;
    },
  };
}
