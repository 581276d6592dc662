import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AccessControl, type Permission, ROLE_PERMISSIONS, type Role, principalForToken, tokenSha256 } from "../../src/index.js";

const ALL: Permission[] = [
  "read",
  "write",
  "rotate",
  "delete",
  "list",
  "versions",
  "rewrap",
  "keys",
  "audit.verify",
  "audit.export",
  "sync",
  "backup",
  "restore",
  "compliance",
];

/** docs/access-control.md's matrix, written out independently of ROLE_PERMISSIONS. */
const MATRIX: Record<Role, Permission[]> = {
  admin: ALL,
  "key-admin": ["keys", "rewrap", "backup", "restore", "list", "audit.verify", "compliance"],
  writer: ["read", "write", "rotate", "delete", "list", "versions"],
  reader: ["read", "list", "versions"],
  auditor: ["audit.verify", "audit.export", "list", "compliance"],
  operator: ["sync", "list"],
};

const principals = {
  root: { tokenSha256: tokenSha256("root-token"), roles: [{ role: "admin" as const, tenants: ["*"] }] },
  bob: { tokenSha256: tokenSha256("bob-token"), roles: [{ role: "reader" as const, tenants: ["acme"], secrets: ["db/*", "API_KEY"] }] },
  carol: {
    tokenSha256: tokenSha256("carol-token"),
    roles: [
      { role: "writer" as const, tenants: ["acme", "globex"] },
      { role: "reader" as const, tenants: ["initech"] },
    ],
  },
};

describe("role matrix", () => {
  for (const role of Object.keys(MATRIX) as Role[]) {
    it(`${role}: exactly ${MATRIX[role].join(", ")}`, () => {
      const ac = new AccessControl({ principals: { p: { tokenSha256: "0".repeat(64), roles: [{ role, tenants: ["*"] }] } } });
      const allowed = ALL.filter((perm) => ac.authorize("p", "acme", perm, perm === "list" ? undefined : "x").allowed);
      expect([...allowed].sort()).toEqual([...MATRIX[role]].sort());
      expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...MATRIX[role]].sort());
    });
  }
});

describe("AccessControl.authorize", () => {
  const ac = new AccessControl({ principals });

  it("denies by default: unknown principals, other tenants, missing permissions", () => {
    expect(ac.authorize("nobody", "acme", "read", "x")).toEqual({ allowed: false, reason: "no role of principal nobody grants read in tenant acme" });
    expect(ac.authorize("bob", "globex", "read", "db/url")).toEqual({ allowed: false, reason: "no role of principal bob grants read in tenant globex" });
    expect(ac.authorize("bob", "acme", "write", "db/url")).toEqual({ allowed: false, reason: "no role of principal bob grants write in tenant acme" });
    expect(ac.authorize("carol", "initech", "write", "x").allowed).toBe(false);
    expect(ac.authorize("carol", "initech", "read", "x").allowed).toBe(true);
  });

  it("secret globs: `*` stays within one segment, exact names match, others are refused", () => {
    expect(ac.authorize("bob", "acme", "read", "db/url").allowed).toBe(true);
    expect(ac.authorize("bob", "acme", "read", "API_KEY").allowed).toBe(true);
    expect(ac.authorize("bob", "acme", "versions", "db/url").allowed).toBe(true);
    expect(ac.authorize("bob", "acme", "read", "db/a/b")).toEqual({
      allowed: false,
      reason: 'no role of principal bob grants read on secret "db/a/b" in tenant acme',
    });
    expect(ac.authorize("bob", "acme", "read", "dbx").allowed).toBe(false);
    expect(ac.authorize("bob", "acme", "read", "API_KEY2").allowed).toBe(false);
  });

  it("list is tenant-wide but only shows what the globs allow", () => {
    const d = ac.authorize("bob", "acme", "list");
    expect(d.allowed).toBe(true);
    if (!d.allowed || !d.visible) throw new Error("expected a visibility filter");
    expect(["db/url", "db/a/b", "API_KEY", "OTHER"].filter(d.visible)).toEqual(["db/url", "API_KEY"]);
    const all = ac.authorize("carol", "acme", "list");
    expect(all.allowed && all.visible).toBeUndefined();
  });

  it('tenant "*" (outside any tenant) needs a grant on every tenant', () => {
    expect(ac.authorize("root", "*", "audit.verify").allowed).toBe(true);
    const auditorOfAcme = new AccessControl({ principals: { a: { tokenSha256: "0".repeat(64), roles: [{ role: "auditor", tenants: ["acme"] }] } } });
    expect(auditorOfAcme.authorize("a", "acme", "audit.export").allowed).toBe(true);
    expect(auditorOfAcme.authorize("a", "*", "audit.verify")).toEqual({
      allowed: false,
      reason: 'no role of principal a grants audit.verify outside a tenant (needs a grant on tenants: ["*"])',
    });
  });
});

describe("tokens", () => {
  it("a digest the request computed earlier is used only for its own token", () => {
    const digest = (t: string) => createHash("sha256").update(t).digest();
    expect(principalForToken("bob-token", principals, { token: "bob-token", sha256: digest("bob-token") })).toBe("bob");
    // Another token's digest, or a truncated one, never stands in: the presented token is hashed itself.
    expect(principalForToken("nobody", principals, { token: "bob-token", sha256: digest("bob-token") })).toBeUndefined();
    expect(principalForToken("root-token", principals, { token: "bob-token", sha256: digest("bob-token") })).toBe("root");
    expect(principalForToken("bob-token", principals, { token: "bob-token", sha256: digest("bob-token").subarray(0, 16) })).toBe("bob");
    expect(principalForToken("nobody", principals, { token: "nobody", sha256: digest("root-token").subarray(0, 31) })).toBeUndefined();
  });

  it("match by SHA-256 digest; wrong, empty, longer, prefix and case-changed tokens match nobody", () => {
    expect(principalForToken("bob-token", principals)).toBe("bob");
    expect(principalForToken("root-token", principals)).toBe("root");
    for (const bad of ["bob-toke", "bob-token ", "BOB-TOKEN", "", "x".repeat(10_000), tokenSha256("bob-token")]) {
      expect(principalForToken(bad, principals)).toBeUndefined();
    }
  });

  it("compares against every principal (no early return) and ignores a malformed stored digest", () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, { tokenSha256: tokenSha256(`t${i}`), roles: [] }]));
    expect(principalForToken("t0", many)).toBe("p0");
    expect(principalForToken("t49", many)).toBe("p49");
    expect(principalForToken("t0", { broken: { tokenSha256: "abc", roles: [] }, ok: { tokenSha256: tokenSha256("t0"), roles: [] } })).toBe("ok");
  });
});
