/**
 * fast-check generators for names. Uniform random strings almost never hit the edges that matter (a
 * '..' segment, '//', a trailing '/', length 256 vs 257, a Unicode look-alike), so the generators mix
 * valid names built from segments with near-misses built from a small alphabet rich in those edges.
 */
import fc from "fast-check";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
/** Characters outside both alphabets, incl. look-alikes (Cyrillic а, fullwidth ａ, Kelvin K, dotless ı). */
export const HOSTILE = [" ", "\\", "~", "+", ":", "%", "\0", "\n", "\u0430", "\uff41", "\u212a", "\u0131", "é", "😀", "*", "?", "#", "\u202e", "\t"];

const chars = (s: string) => [...s];
const segChar = fc.constantFrom(...chars(LOWER + UPPER + DIGITS + "_-."));
/** A valid secret-name segment: 1–40 chars of [A-Za-z0-9_.-], never '.' or '..'. */
const segment = fc.string({ unit: segChar, minLength: 1, maxLength: 40 }).filter((s) => s !== "." && s !== "..");

/** Valid secret names per docs/cli.md "Names" (and names.ts): segments joined by '/', 1–256 characters. */
export const validSecretName = fc
  .array(segment, { minLength: 1, maxLength: 8 })
  .map((segs) => segs.join("/"))
  .filter((n) => n.length <= 256);

/** Long valid names (200–256 characters): the file provider's chunking and Azure's 127-character limit. */
export const longSecretName = fc
  .tuple(fc.string({ unit: segChar, minLength: 200, maxLength: 256 }), fc.integer({ min: 1, max: 190 }))
  .map(([s, cut]) => `${s.slice(0, cut)}/${s.slice(cut + 1)}`)
  .filter((n) => n.length <= 256 && n.split("/").every((p) => p !== "" && p !== "." && p !== ".."));

/**
 * Names whose length straddles the file provider's 200-character chunks and whose tail is dots: the
 * chunk boundary can isolate '.' or '..' as a path component.
 */
export const chunkEdgeName = fc
  .tuple(fc.integer({ min: 197, max: 203 }), fc.constantFrom(".", "..", "a.", ".a", "a..", "/a.", "/.a"))
  .map(([n, tail]) => `${"a".repeat(n - tail.length)}${tail}`)
  .filter((n) => n.length <= 256 && n.split("/").every((p) => p !== "" && p !== "." && p !== ".."));

/** Strings near the secret-name rules: the name alphabet, '/', '.', and some hostile characters. */
export const nearSecretName = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...chars("aZ09_-")) },
    { weight: 4, arbitrary: fc.constantFrom("/", ".", "..", "//") },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) },
  ),
  maxLength: 300,
});

/** Anything a caller could pass as a name. */
export const anySecretNameInput = fc.oneof(validSecretName, longSecretName, nearSecretName, fc.string({ unit: "binary", maxLength: 300 }));

const tenantChar = fc.constantFrom(...chars(LOWER + DIGITS + "_-"));
/** Valid tenant ids: ^[a-z0-9][a-z0-9_-]{0,62}$. */
export const validTenant = fc.tuple(fc.constantFrom(...chars(LOWER + DIGITS)), fc.string({ unit: tenantChar, maxLength: 62 })).map(([a, b]) => a + b);

export const nearTenant = fc.string({
  unit: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...chars("az09_-")) },
    { weight: 2, arbitrary: fc.constantFrom(...chars("AZ./")) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) },
  ),
  maxLength: 70,
});

export const anyTenantInput = fc.oneof(validTenant, nearTenant, fc.string({ unit: "binary", maxLength: 80 }));

/**
 * Two different tenants that are close: one a prefix of the other across a separator (`acme` /
 * `acme-2`), or the same but for `-` and `_` (`a-b` / `a_b`): the pairs a namespace scheme that joins
 * tenant and name with a separator could confuse.
 */
export const tenantAndNeighbour = fc
  .tuple(
    validTenant.filter((t) => t.length <= 40),
    fc.constantFrom("-", "_"),
    fc.string({ unit: fc.constantFrom(...chars("ab2_-s")), minLength: 1, maxLength: 6 }),
    fc.boolean(),
  )
  .map(([t, sep, extra, swap]) => {
    if (swap && /[-_]/.test(t)) return [t, t.replace(/[-_]/g, (c) => (c === "-" ? "_" : "-"))] as const;
    return [t, `${t}${sep}${extra}`.slice(0, 63)] as const;
  })
  .filter(([a, b]) => a !== b);

/** A name with one small edit: the near-collisions an injectivity check needs. */
export const nameAndNeighbour = fc
  .tuple(fc.oneof(validSecretName, longSecretName), fc.nat(), fc.constantFrom(...chars("aAzZ09_-./")), fc.constantFrom("replace", "insert", "delete", "case"))
  .map(([n, at, ch, how]) => {
    const i = at % n.length;
    if (how === "replace") return [n, n.slice(0, i) + ch + n.slice(i + 1)] as const;
    if (how === "insert") return [n, n.slice(0, i) + ch + n.slice(i)] as const;
    if (how === "delete") return [n, n.slice(0, i) + n.slice(i + 1)] as const;
    const c = n[i] as string;
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    return [n, n.slice(0, i) + flipped + n.slice(i + 1)] as const;
  });
