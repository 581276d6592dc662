/**
 * Issue 15 finding 10, in core: names that are built-in object properties used as keys. A principal
 * named `constructor` could never be locked out (its entry was Object's constructor function); an
 * alphabet named `constructor` or `toString` was an INTERNAL TypeError.
 */
import { describe, expect, it } from "vitest";
import { LockoutStore, generateSecret } from "../../src/index.js";
import { tempDir } from "../audit/helpers.js";

describe("built-in property names as keys", () => {
  it("locks out a principal named constructor, toString or hasOwnProperty like any other", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const store = new LockoutStore(tempDir(), { maxFailures: 2, windowSeconds: 60, lockSeconds: 120 }, () => new Date(now));
    for (const principal of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      expect(store.lockedUntil(principal)).toBeUndefined();
      expect(await store.recordFailure(principal)).toEqual({ failures: 1, lockedUntil: undefined, justLocked: false });
      expect(await store.recordFailure(principal)).toEqual({ failures: 2, lockedUntil: new Date(now + 120_000), justLocked: true });
      expect(store.lockedUntil(principal)).toEqual(new Date(now + 120_000));
    }
    now += 1000;
    expect(store.lockedUntil("bob")).toBeUndefined();
  });

  it("takes an alphabet named like a built-in property as its characters", () => {
    for (const alphabet of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const v = generateSecret({ length: 64, alphabet }).toString();
      expect(v).toHaveLength(64);
      expect(
        [...v].every((c) => alphabet.includes(c)),
        alphabet,
      ).toBe(true);
    }
    expect(/^[0-9a-f]{16}$/.test(generateSecret({ length: 16, alphabet: "hex" }).toString())).toBe(true);
  });
});
