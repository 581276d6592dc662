/**
 * Access control's shapes and the role matrix (docs/access-control.md). The configuration (`access` in
 * polyvault.yaml) is validated by the runtime's schema; these interfaces are what core needs of it.
 */
export type Role = "admin" | "key-admin" | "writer" | "reader" | "auditor" | "operator";

/** What can be granted: the SecretManager's actions, plus the commands that are not secret operations. */
export type Permission =
  | "read"
  | "write"
  | "rotate"
  | "delete"
  | "list"
  | "versions"
  | "rewrap"
  | "keys"
  | "audit.verify"
  | "audit.export"
  | "sync"
  | "backup"
  | "restore"
  | "compliance";

export interface Grant {
  readonly role: Role;
  /** Tenant ids, or "*" for every tenant (and for what belongs to no tenant: the audit log, keys). */
  readonly tenants: readonly string[];
  /** Secret-name globs (policy.ts, docs/access-control.md: `*` stops at `/`, `**` crosses it, `x/**` is under x/); absent: every secret. */
  readonly secrets?: readonly string[] | undefined;
}

export interface PrincipalSpec {
  /** Lowercase hex SHA-256 of the principal's token; the token itself is never stored. */
  readonly tokenSha256: string;
  readonly roles: readonly Grant[];
  readonly breakGlass?: boolean | undefined;
}

export interface LockoutOptions {
  readonly maxFailures?: number | undefined;
  readonly windowSeconds?: number | undefined;
  readonly lockSeconds?: number | undefined;
}

export interface AccessOptions {
  readonly principals: Readonly<Record<string, PrincipalSpec>>;
  readonly lockout?: LockoutOptions | undefined;
}

export const LOCKOUT_DEFAULTS = { maxFailures: 5, windowSeconds: 300, lockSeconds: 900 } as const;

const SECRET_ACTIONS: readonly Permission[] = ["read", "write", "rotate", "delete", "list", "versions"];

/**
 * The role matrix. Only admin and key-admin touch keys; key-admin, auditor and operator never read values
 * (key-admin is the key custodian of separation of duties: keys, rewrap, and backups, which stay ciphertext).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: [...SECRET_ACTIONS, "rewrap", "keys", "audit.verify", "audit.export", "sync", "backup", "restore", "compliance"],
  "key-admin": ["keys", "rewrap", "backup", "restore", "list", "audit.verify", "compliance"],
  writer: SECRET_ACTIONS,
  reader: ["read", "list", "versions"],
  auditor: ["audit.verify", "audit.export", "list", "compliance"],
  operator: ["sync", "list"],
};

/** Permissions checked against a secret name (the others apply to a whole tenant, or to no tenant). */
export const NAMED_PERMISSIONS: ReadonlySet<Permission> = new Set(["read", "write", "rotate", "delete", "versions"]);

/** The principal id that failures with no or an unknown token are counted under (no real id can look like it). */
export const UNAUTHENTICATED = "(unauthenticated)";

/** The actor recorded when access control is off. */
export const LOCAL_OPERATOR = "local-operator";
