/** The writer's record line (flatCanonical's fast path, or the library) must equal the plain canonical form with its MAC, for any field values. */
import { randomBytes } from "node:crypto";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compact, flatCanonical, macedLine, recordMac, withDefined } from "../../src/audit/canonical.js";

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
        const { v, type, seq, time, prev, ...record } = entry;
        expect(macedLine(key, record, { v, type, seq, time, prev })).toBe(plain);
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
      { "10": "an index-like key", "2": "another", a: "b", v: 1 },
      { action: "read", big: 2 ** 53, small: -0, v: 1 },
      { action: "read", ratio: 0.1, v: 1 },
    ])
      expect(macedLine(key, entry, {})).toBe(canonicalize({ ...entry, mac: recordMac(key, entry) }));
  });

  it("the record's members give way to the writer's (over), and undefined members are dropped", () => {
    const line = macedLine(key, { action: "read", actor: "bob", seq: 99, name: undefined }, { v: 1, seq: 7 });
    const entry = { action: "read", actor: "bob", seq: 7, v: 1 };
    expect(line).toBe(canonicalize({ ...entry, mac: recordMac(key, entry) }));
  });

  it("a lone surrogate is refused by the library, as before the fast path, in a value or in a member name", () => {
    expect(() => macedLine(key, { action: "read", actor: "\ud800" }, { v: 1 })).toThrow(/Lone surrogate/);
    expect(() => macedLine(key, { action: "read", "x\ud800": "y" }, { v: 1 })).toThrow(/Lone surrogate/);
    expect(() => macedLine(key, { action: "read", "\udc00": "y" }, { v: 1 })).toThrow(/Lone surrogate/);
  });

  it("a mac member of the record is dropped: the line carries its own MAC, which verifies", () => {
    const line = macedLine(key, { action: "read", actor: "bob", mac: "forged-by-the-caller" }, { v: 1, seq: 3 });
    const entry = { action: "read", actor: "bob", seq: 3, v: 1 };
    expect(line).toBe(canonicalize({ ...entry, mac: recordMac(key, entry) }));
    const parsed = JSON.parse(line) as { mac: string };
    expect(parsed.mac).toBe(recordMac(key, parsed));
  });

  it("equals the library for generated records (any keys, strings, integers, floats, booleans, nested objects)", () => {
    const member = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string(),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    const keyName = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary", maxLength: 3 }),
      fc.constantFrom("0", "1", "10", "01", "-1", "mac", "macro", "ma", "toJSON", "__proto__x", "é", "Z", "a", "\ud800", "a\udfff"),
    );
    fc.assert(
      fc.property(fc.dictionary(keyName, member, { maxKeys: 12 }), fc.nat(), (record, seq) => {
        // A `mac` member of the record, if generated, is dropped by macedLine (its own MAC takes the place).
        const { mac: _m, ...rest } = record as Record<string, unknown>;
        const entry = compact({ ...rest, v: 1, seq });
        let want: string | Error;
        try {
          want = canonicalize({ ...entry, mac: recordMac(key, entry) }) as string;
        } catch (e) {
          want = e as Error;
        }
        if (want instanceof Error) expect(() => macedLine(key, record, { v: 1, seq })).toThrow(want.message);
        else expect(macedLine(key, record, { v: 1, seq })).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("flatCanonical", () => {
  it("is canonicalize's output for flat entries, and undefined for anything else", () => {
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary", maxLength: 2 }),
      fc.constantFrom("0", "7", "10", "01", "-1", "1e3", "__proto__", "é", "\udc00"),
    );
    const flat = fc.dictionary(key, fc.oneof(fc.string(), fc.maxSafeInteger(), fc.constant(undefined)), { maxKeys: 14 });
    let fast = 0;
    fc.assert(
      fc.property(flat, (entry) => {
        const keys = Object.keys(entry).sort();
        const indexLike = keys.some((k) => entry[k] !== undefined && (/^(0|[1-9][0-9]*)$/.test(k) || k === "__proto__" || !k.isWellFormed()));
        if (indexLike) expect(flatCanonical(entry, keys)).toBeUndefined();
        else {
          expect(flatCanonical(entry, keys)).toBe(canonicalize(entry));
          fast++;
        }
      }),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(1000);
    for (const entry of [{ a: 0.5 }, { a: 2 ** 53 }, { a: true }, { a: null }, { a: { b: "c" } }, { a: "\udc00" }, { a: ["x"] }, { "3": "x" }])
      expect(flatCanonical(entry, Object.keys(entry).sort())).toBeUndefined();
    const proto = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, unknown>;
    expect(flatCanonical(proto, Object.keys(proto).sort())).toBeUndefined();
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
