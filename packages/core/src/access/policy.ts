/**
 * Deny by default: a request is allowed only when some grant of the principal names its role with the
 * permission, the tenant (or "*"), and, for a permission on one secret, a glob matching its name.
 *
 * Globs (docs/access-control.md), matched by picomatch with only these features: `/`-separated segments
 * of name characters and `*` (any run of characters within one segment); a segment `**` matches zero or
 * more whole segments, except at the end, where `x/**` means "under x/" — one or more segments, never
 * `x` itself (picomatch alone lets `ci/**` match `ci`). Anything else (`?`, `[…]`, `{…}`, `!`, extglobs,
 * `**` inside a segment, empty segments) is refused when the policy is built, so no glob can mean more
 * than it reads as.
 */
import picomatch from "picomatch";
import { InvalidInputError } from "../errors.js";
import { type AccessOptions, type Grant, NAMED_PERMISSIONS, type Permission, ROLE_PERMISSIONS } from "./types.js";

const GLOB_SEGMENT = /^(?:\*\*|[A-Za-z0-9_.*-]+)$/;

/** A matcher for one secret glob, or InvalidInputError naming what is wrong with it. */
export function compileSecretGlob(glob: string): (name: string) => boolean {
  const segments = glob.split("/");
  const bad = segments.find((s) => !GLOB_SEGMENT.test(s) || (s.includes("**") && s !== "**"));
  if (bad !== undefined)
    throw new InvalidInputError(
      `secret glob ${JSON.stringify(glob.slice(0, 100))}: each '/'-separated segment must be '**' or letters, digits, '_', '.', '-' and '*' (got ${JSON.stringify(bad.slice(0, 40))})`,
    );
  // `x/**`: under x/, one segment or more: `x/*` or `x/*/**` in picomatch (whose `*` never matches an empty segment).
  const base = segments.slice(0, -1).join("/");
  const pattern = segments.length > 1 && segments.at(-1) === "**" ? [`${base}/*`, `${base}/*/**`] : glob;
  return picomatch(pattern, { dot: true, nobrace: true, nobracket: true, noextglob: true, nonegate: true });
}

export type Decision =
  | {
      readonly allowed: true;
      readonly roles: string[] /** For `list`: which names the caller may see (absent: all). */;
      readonly visible?: ((name: string) => boolean) | undefined;
    }
  | { readonly allowed: false; readonly reason: string };

interface CompiledGrant extends Grant {
  readonly match: ((name: string) => boolean) | undefined;
}

export class AccessControl {
  readonly #grants = new Map<string, CompiledGrant[]>();

  constructor(readonly options: AccessOptions) {
    for (const [id, spec] of Object.entries(options.principals)) {
      this.#grants.set(
        id,
        spec.roles.map((g) => {
          const matchers = g.secrets?.map(compileSecretGlob);
          return { ...g, match: matchers === undefined ? undefined : (name: string) => matchers.some((m) => m(name)) };
        }),
      );
    }
  }

  has(principal: string): boolean {
    return this.#grants.has(principal);
  }

  /** Where the principal holds `permission`: every tenant, or these tenants (empty: nowhere). */
  scope(principal: string, permission: Permission): { all: boolean; tenants: Set<string> } {
    const grants = (this.#grants.get(principal) ?? []).filter((g) => ROLE_PERMISSIONS[g.role].includes(permission));
    return { all: grants.some((g) => g.tenants.includes("*")), tenants: new Set(grants.flatMap((g) => g.tenants.filter((t) => t !== "*"))) };
  }

  /**
   * For operations over many names at once (sync): may `principal` act with `permission` on `name` in
   * `tenant`? Its grants for that permission and tenant, and their secret globs (none: every name).
   */
  names(principal: string, permission: Permission): (tenant: string, name: string) => boolean {
    const byTenant = new Map<string, Decision>();
    return (tenant, name) => {
      let d = byTenant.get(tenant);
      if (d === undefined) {
        d = this.authorize(principal, tenant, permission);
        byTenant.set(tenant, d);
      }
      return d.allowed && (d.visible?.(name) ?? true);
    };
  }

  /** `tenant` "*" asks for something that belongs to no tenant (the audit log, the keyring). */
  authorize(principal: string, tenant: string, permission: Permission, name?: string): Decision {
    const grants = (this.#grants.get(principal) ?? []).filter(
      (g) => ROLE_PERMISSIONS[g.role].includes(permission) && (g.tenants.includes("*") || (tenant !== "*" && g.tenants.includes(tenant))),
    );
    const where = tenant === "*" ? 'outside a tenant (needs a grant on tenants: ["*"])' : `in tenant ${tenant}`;
    if (grants.length === 0) return { allowed: false, reason: `no role of principal ${principal} grants ${permission} ${where}` };
    if (name !== undefined && NAMED_PERMISSIONS.has(permission)) {
      const ok = grants.filter((g) => !g.match || g.match(name));
      if (ok.length === 0)
        return { allowed: false, reason: `no role of principal ${principal} grants ${permission} on secret ${JSON.stringify(name)} ${where}` };
      return { allowed: true, roles: ok.map((g) => g.role) };
    }
    const matchers = grants.map((g) => g.match);
    const visible = matchers.some((m) => m === undefined) ? undefined : (n: string) => matchers.some((m) => m?.(n));
    return { allowed: true, roles: grants.map((g) => g.role), visible };
  }
}
