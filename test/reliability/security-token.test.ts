/**
 * The bearer-token comparison has no early return on a length or prefix mismatch. Nothing here is
 * timed: the structure is checked. crypto.timingSafeEqual is spied on (vi.mock of node:crypto, which the
 * access module imports), and for every presented token — empty, 1 byte, a prefix of a real token, a real
 * token plus one character, the right length with one wrong byte, megabytes long, random — the comparison
 * must call timingSafeEqual once per configured principal, on two 32-byte SHA-256 digests, and must call
 * nothing else that compares (no === on tokens, no Buffer.equals, no early exit after a match).
 */
import { createHash, randomBytes } from "node:crypto";
import { principalForToken, tokenSha256 } from "@polyvault/core";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROPERTY_RUNS } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual), default: { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) } };
});
const { timingSafeEqual } = await import("node:crypto");
const spy = vi.mocked(timingSafeEqual);

const tally = new Tally("security-token");
const TOKENS = {
  alice: `alice-${randomBytes(24).toString("base64url")}`,
  bob: `bob-${randomBytes(24).toString("base64url")}`,
  carol: `carol-${randomBytes(24).toString("base64url")}`,
};
const PRINCIPALS = Object.fromEntries(
  Object.entries(TOKENS).map(([id, t]) => [id, { tokenSha256: tokenSha256(t), roles: [{ role: "reader" as const, tenants: ["*"] }] }]),
);
const sha = (t: string) => createHash("sha256").update(t, "utf8").digest();

afterEach(() => spy.mockClear());

/** Presents `token`; checks the calls made; returns the principal found. */
function present(token: string): string | undefined {
  spy.mockClear();
  const equals = vi.spyOn(Buffer.prototype, "equals");
  const found = principalForToken(token, PRINCIPALS);
  const bufferEquals = equals.mock.calls.length;
  equals.mockRestore();
  tally.trial();
  tally.check(
    spy.mock.calls.length === Object.keys(PRINCIPALS).length,
    `${spy.mock.calls.length} timingSafeEqual calls for ${Object.keys(PRINCIPALS).length} principals (token of ${token.length} chars)`,
  );
  const digest = sha(token);
  for (const [a, b] of spy.mock.calls) {
    tally.check(a.byteLength === 32 && b.byteLength === 32, "both sides are 32-byte digests, whatever the token's length");
    tally.check(Buffer.from(a as Uint8Array).equals(digest) || Buffer.from(b as Uint8Array).equals(digest), "the presented side is the token's SHA-256");
  }
  tally.check(bufferEquals === 0, "no Buffer.equals on the way");
  return found;
}

describe("token comparison: no early return on length or prefix", () => {
  it("the spy is wired (the access module's timingSafeEqual is the spied one)", () => {
    principalForToken("x", PRINCIPALS);
    tally.check(spy.mock.calls.length > 0, "timingSafeEqual was observed");
  });

  it("crafted mismatches: empty, short, prefix, extension, one byte off, very long — all compared in full, none matches", () => {
    const alice = TOKENS.alice;
    const crafted = [
      "",
      "a",
      alice.slice(0, 1),
      alice.slice(0, alice.length - 1),
      `${alice}x`,
      `${alice.slice(0, -1)}${alice.at(-1) === "A" ? "B" : "A"}`,
      `x${alice.slice(1)}`,
      alice.toUpperCase(),
      ` ${alice}`,
      "\u0000".repeat(alice.length),
      "x".repeat(4 * 1024 * 1024),
    ];
    for (const t of crafted) {
      tally.fault();
      tally.check(present(t) === undefined, `${t.length}-char mismatch matched a principal`);
    }
  });

  it("the right token matches, and every principal is still compared (no return after the first match)", () => {
    for (const [id, t] of Object.entries(TOKENS)) tally.check(present(t) === id, `${id}'s token finds ${id}`);
  });

  it(`random tokens of every length (${PROPERTY_RUNS} cases): always one comparison per principal, on digests`, () => {
    const token = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 100 }),
      fc.constantFrom(...Object.values(TOKENS)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))),
    );
    fc.assert(
      fc.property(token, (t) => {
        const found = present(t);
        tally.check(found === undefined || (TOKENS as Record<string, string>)[found] === t, "only the exact token matches");
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("a malformed stored digest (not 32 bytes) is still compared (against itself), never matched", () => {
    spy.mockClear();
    const found = principalForToken("anything", { broken: { tokenSha256: "abcd", roles: [] }, ...PRINCIPALS });
    tally.check(spy.mock.calls.length === Object.keys(PRINCIPALS).length + 1, "one comparison per principal, the malformed one included");
    tally.check(found === undefined, "nothing matched");
    expect(spy.mock.calls.every(([a, b]) => a.byteLength === 32 && b.byteLength === 32)).toBe(true);
  });
});
