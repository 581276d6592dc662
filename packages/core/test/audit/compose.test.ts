/** The writer's one-canonicalisation record line must equal the plain canonical form with its MAC, for any field values. */
import { randomBytes } from "node:crypto";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compact, macedLine, recordMac, withDefined } from "../../src/audit/canonical.js";

const key = randomBytes(32);
const awkward = [
  "a",
  "",
  'q"uote',
  "back\\slash",
  "new\nline",
  "tab\t",
  "é ü 漢字",
  "emoji 🔑",
  "\u0000\u001f",
  "</script>",
  "mac",
  "~~~",
  "a\\",
  '"',
  "\u2028",
];

describe("macedLine", () => {
  it("equals canonicalize({...entry, mac}) for awkward values in every field", () => {
    let n = 0;
    for (const a of awkward)
      for (const b of awkward) {
        if (a === "" || b === "") continue;
        const entry = {
          action: a,
          actor: b,
          outcome: "ok",
          tenant: b,
          name: a,
          reason: `${a}${b}`,
          v: 1,
          type: "record",
          seq: n + 1,
          time: "2026-01-01T00:00:00.000Z",
          prev: "0".repeat(64),
        };
        const plain = canonicalize({ ...entry, mac: recordMac(key, entry) });
        expect(macedLine(key, entry)).toBe(plain);
        n++;
      }
    expect(n).toBe((awkward.length - 1) ** 2);
  });

  it("with a detail member (it sorts before mac), and with members of other types before mac", () => {
    for (const entry of [
      { action: "keys.rotate", actor: "bob", detail: "from=1 to=2", outcome: "ok", v: 1 },
      { action: "read", actor: "bob", detail: 'q"\\', outcome: "ok", v: 1 },
      { action: "read", actor: "bob", extra: 5, outcome: "ok", v: 1 },
      { action: "read", actor: "bob", b: { nested: true }, outcome: "ok", v: 1 },
      { zeta: "only after mac", v: 1 },
    ])
      expect(macedLine(key, entry)).toBe(canonicalize({ ...entry, mac: recordMac(key, entry) }));
  });
});

describe("withDefined (the record's entry without the spread and compact of each record)", () => {
  const member = fc.oneof(fc.constant(undefined), fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
  const object = fc.dictionary(fc.constantFrom("a", "b", "v", "seq", "type", "time", "prev", "mac", "__proto__x"), member);
  // Members only: their order may differ (a member undefined in `from` keeps its place in a spread), and
  // an entry is only ever written in canonical form, which sorts them.
  it("gives the members compact({ ...from, ...over }) gives, for any members", () => {
    fc.assert(
      fc.property(object, object, (from, over) => {
        const fast = withDefined({}, from, over);
        const plain = compact({ ...from, ...over });
        expect(Object.entries(fast).sort()).toEqual(Object.entries(plain).sort());
        expect(canonicalize(fast)).toBe(canonicalize(plain));
      }),
      { numRuns: 2000 },
    );
  });
  it("over wins, undefined drops a member, and neither input is changed", () => {
    const from = Object.freeze({ a: 1, seq: 99, gone: undefined, keep: "x" });
    const over = Object.freeze({ seq: 5, keep: undefined });
    expect(withDefined({}, from, over)).toEqual({ a: 1, seq: 5 });
    expect(Object.keys(withDefined({}, from, over))).toEqual(["a", "seq"]);
    expect(from).toEqual({ a: 1, seq: 99, gone: undefined, keep: "x" });
    expect(compact(from)).toEqual({ a: 1, seq: 99, keep: "x" });
  });
});
