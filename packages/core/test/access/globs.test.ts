/**
 * Issue 15 finding 9: a role's `secrets` glob matches exactly as docs/access-control.md says — `ci/**`
 * granted the secret named exactly `ci`. A table of globs × names, through AccessControl itself.
 */
import { describe, expect, it } from "vitest";
import { AccessControl, InvalidInputError, compileSecretGlob } from "../../src/index.js";

const NAMES = ["ci", "ci/a", "ci/a/b", "ci/.x", "cia", "cia/b", "xci/a", "db", "db/url", "db/a/b", "a/b", "a/x/b", "a/x/y/b", "API_KEY", ".env", "a.env", "x"];

/** glob → exactly the names it grants, from the documented rules (written out, not computed). */
const TABLE: Record<string, string[]> = {
  "ci/**": ["ci/a", "ci/a/b", "ci/.x"],
  "ci/*": ["ci/a", "ci/.x"],
  ci: ["ci"],
  "ci*": ["ci", "cia"],
  "ci*/**": ["ci/a", "ci/a/b", "ci/.x", "cia/b"],
  "*": ["ci", "cia", "db", "API_KEY", ".env", "a.env", "x"],
  "**": NAMES,
  "db/*": ["db/url"],
  "a/**/b": ["a/b", "a/x/b", "a/x/y/b"],
  "**/b": ["a/b", "a/x/b", "a/x/y/b", "cia/b", "ci/a/b", "db/a/b"],
  "*.env": [".env", "a.env"],
  API_KEY: ["API_KEY"],
};

describe("secret globs × names", () => {
  for (const [glob, granted] of Object.entries(TABLE)) {
    it(`${glob} grants exactly ${granted.length === NAMES.length ? "every name" : granted.join(", ") || "nothing"}`, () => {
      const ac = new AccessControl({ principals: { p: { tokenSha256: "0".repeat(64), roles: [{ role: "reader", tenants: ["t"], secrets: [glob] }] } } });
      const allowed = NAMES.filter((n) => ac.authorize("p", "t", "read", n).allowed);
      expect(allowed.sort()).toEqual([...granted].sort());
      // `list` shows the same names.
      const d = ac.authorize("p", "t", "list");
      expect(d.allowed && NAMES.filter((n) => d.visible?.(n) ?? true).sort()).toEqual([...granted].sort());
    });
  }

  it("refuses globs with features the documentation does not give them, naming the glob", () => {
    for (const glob of ["ci/?", "ci/[ab]", "ci/{a,b}", "!ci", "ci/@(a|b)", "ci/+(a)", "ci**", "ci/***", "a//b", "/ci", "ci/", "", "ci/a b", "ci\\*"]) {
      expect(() => compileSecretGlob(glob), glob).toThrow(InvalidInputError);
      expect(() => compileSecretGlob(glob), glob).toThrow(/^secret glob ".*": each '\/'-separated segment must be '\*\*' or letters/);
      expect(
        () => new AccessControl({ principals: { p: { tokenSha256: "0".repeat(64), roles: [{ role: "reader", tenants: ["t"], secrets: [glob] }] } } }),
      ).toThrow(InvalidInputError);
    }
  });
});
