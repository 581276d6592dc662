/**
 * (tenant, secret name) ↔ AWS Secrets Manager secret name.
 *
 * AWS names are 1–512 characters of `A-Za-z0-9/_+=.@-`. Every character Polyvault allows in a tenant id
 * or a secret name is in that set, so the mapping is a plain join, `<prefix>/<tenant>/<name>`:
 * - injective: a tenant id never contains '/', so the first '/' after the prefix ends the tenant and
 *   everything after it is the name, for any prefix;
 * - no escaping, so the console shows the tenant's own name;
 * - it always fits: 63 (tenant) + 256 (name) + 2 separators leave 191 characters for the prefix,
 *   which the factory checks once.
 * AWS advises against names ending in '-' plus six characters because a *partial ARN* of such a
 * secret is mistaken for a complete one. Polyvault only ever addresses secrets by their full name, never
 * by partial ARN, so those names are safe here and are not refused (see docs/providers/aws.md).
 */
import { InvalidInputError, type NameCheck, SecretNameSchema, type TenantId, TenantIdSchema } from "@polyvault/core";

export const AWS_NAME_MAX = 512;
const TENANT_MAX = 63;
const SECRET_NAME_MAX = 256;
/** Longest prefix that still leaves room for every valid (tenant, name). */
export const PREFIX_MAX = AWS_NAME_MAX - TENANT_MAX - SECRET_NAME_MAX - 2;
const PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(?:\/[A-Za-z0-9_+=.@-]+)*$/;

export const AWS_NAME_RULE =
  "tenant ids and secret names as Polyvault defines them (letters, digits, '_', '-', '.', '/'); " +
  "stored as <prefix>/<tenant>/<name>, within AWS's 512 characters of A-Za-z0-9/_+=.@-";

export interface AwsNameCodec {
  readonly prefix: string;
  /** The native name for (tenant, name), or why it cannot be held. */
  encode(tenant: TenantId, name: string): NameCheck;
  /** The namespace every native name of this tenant starts with (for ListSecrets' name filter). */
  tenantPrefix(tenant: TenantId): string;
  /** The secret name inside this tenant's namespace, or undefined when `nativeName` is not one of ours. */
  decode(tenant: TenantId, nativeName: string): string | undefined;
}

/** Validates the configured prefix; throws InvalidInputError naming the rule it breaks. */
export function checkPrefix(prefix: string): string {
  if (prefix.length > PREFIX_MAX) throw new InvalidInputError(`aws prefix is longer than ${PREFIX_MAX} characters (AWS names are at most ${AWS_NAME_MAX})`);
  if (!PREFIX_PATTERN.test(prefix))
    throw new InvalidInputError(
      `aws prefix ${JSON.stringify(prefix)} must be segments of A-Za-z0-9_+=.@- separated by single '/', not starting or ending with '/'`,
    );
  return prefix;
}

export function createAwsNameCodec(prefix = "polyvault"): AwsNameCodec {
  checkPrefix(prefix);
  const tenantPrefix = (tenant: TenantId) => `${prefix}/${tenant}/`;
  return {
    prefix,
    tenantPrefix,
    encode(tenant, name) {
      const t = TenantIdSchema.safeParse(tenant);
      if (!t.success) return { ok: false, reason: `invalid tenant id: ${t.error.issues[0]?.message}` };
      const n = SecretNameSchema.safeParse(name);
      if (!n.success) return { ok: false, reason: `invalid secret name: ${n.error.issues[0]?.message}` };
      // Cannot exceed AWS_NAME_MAX: the prefix was bounded above and the parts by their schemas.
      return { ok: true, nativeName: `${tenantPrefix(tenant)}${name}` };
    },
    decode(tenant, nativeName) {
      const ns = tenantPrefix(tenant);
      if (!nativeName.startsWith(ns)) return undefined;
      const name = nativeName.slice(ns.length);
      return SecretNameSchema.safeParse(name).success ? name : undefined;
    },
  };
}
