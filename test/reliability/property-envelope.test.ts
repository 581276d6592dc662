/**
 * The ciphertext parser and opener under hostile input: random bytes, random bytes behind a valid-looking
 * header, and valid ciphertexts mutated (bit flips, byte writes, truncation, extension, splices, swaps,
 * another tenant / name / revision). The only acceptable outcome is IntegrityError — never another
 * error, never a crash, never plaintext — and the error never carries the plaintext.
 */
import { randomBytes } from "node:crypto";
import { IntegrityError, Keyring, open, parseHeader, seal } from "@polyvault/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { PROPERTY_RUNS } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";
import { tempDir } from "../harness/cli.js";

const tally = new Tally("property-envelope");
const CTX = { tenant: "acme", name: "db/password" };
const PLAIN = Buffer.from("CANARY-envelope-plaintext-5d1f0c");
let kr: Keyring;
/** Valid ciphertexts under key versions 1 and 2, revisions 1 and 7, lengths 0…64. */
const valid: Buffer[] = [];

beforeAll(async () => {
  kr = await Keyring.open(tempDir("envelope"), randomBytes(32));
  for (let len = 0; len <= 64; len += 8) {
    for (const revision of [1, 7]) valid.push(seal(kr, { ...CTX, revision }, PLAIN.subarray(0, Math.min(len, PLAIN.length))));
  }
  await kr.rotate();
  for (const revision of [1, 7]) valid.push(seal(kr, { ...CTX, revision }, PLAIN));
});
afterAll(() => kr.close());

/** Opens and expects IntegrityError; counts the invariants checked. */
function refused(bytes: Uint8Array, ctx: { tenant: string; name: string; expectedRevision?: number } = CTX): void {
  tally.trial();
  tally.fault();
  let opened: Buffer | undefined;
  try {
    opened = open(kr, ctx, bytes).plaintext;
  } catch (err) {
    tally.check(err instanceof IntegrityError, `open threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    tally.check(!(err as Error).message.includes(PLAIN.toString()), "the error carries no plaintext");
    return;
  }
  tally.check(false, `a hostile ciphertext decrypted to ${opened?.length} bytes`);
}

const pick = fc.nat().map((i) => valid[i % valid.length] as Buffer);

describe(`ciphertext parser (${PROPERTY_RUNS} cases per property)`, () => {
  it("random bytes: parseHeader and open give IntegrityError or (parseHeader only) a header; never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseHeader(bytes);
        } catch (err) {
          tally.check(err instanceof IntegrityError, `parseHeader threw ${(err as Error)?.name}`);
        }
        refused(bytes);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("random bytes behind a valid magic, format, suite and key version: never decrypt", () => {
    const header = fc.tuple(fc.constantFrom(1, 2, 3, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ minLength: 0, maxLength: 300 }));
    fc.assert(
      fc.property(header, ([keyVersion, revision, rest]) => {
        const b = Buffer.alloc(12 + rest.length);
        b.set([0x50, 0x56, 0x01, 0x01]);
        b.writeUInt32BE(keyVersion, 4);
        b.writeUInt32BE(revision, 8);
        b.set(rest, 12);
        refused(b);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("mutated valid ciphertexts never decrypt", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("extend" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
      fc.record({ kind: fc.constant("splice" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
      fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
    );
    fc.assert(
      fc.property(pick, mutation, (ct, m) => {
        const b = Buffer.from(ct);
        let out: Buffer = b;
        if (m.kind === "flip") b[m.at % b.length] = (b[m.at % b.length] as number) ^ (1 << m.bit);
        else if (m.kind === "set") b[m.at % b.length] = m.byte;
        else if (m.kind === "truncate") out = b.subarray(0, m.at % b.length);
        else if (m.kind === "extend") out = Buffer.concat([b, m.extra]);
        else if (m.kind === "splice") {
          const at = m.at % b.length;
          out = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(Math.min(b.length, at + m.bytes.length))]);
        } else {
          const [i, j] = [m.a % b.length, m.b % b.length];
          [b[i], b[j]] = [b[j] as number, b[i] as number];
        }
        fc.pre(!out.equals(ct)); // a mutation that changed nothing is not a mutation
        refused(out);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("a valid ciphertext presented for another tenant, name or revision never decrypts", () => {
    const other = fc.oneof(
      fc.record({ tenant: fc.constantFrom("acme2", "globex", "acm", "acme-"), name: fc.constant(CTX.name) }),
      fc.record({ tenant: fc.constant(CTX.tenant), name: fc.constantFrom("db/Password", "db/password ", "db/passwor", "db", "db/password/x") }),
      fc.record({ tenant: fc.constant(CTX.tenant), name: fc.constant(CTX.name), expectedRevision: fc.constantFrom(2, 3, 6, 8, 1000) }),
    );
    fc.assert(
      fc.property(pick, other, (ct, ctx) => {
        fc.pre(!("expectedRevision" in ctx) || ctx.expectedRevision !== parseHeader(ct).revision);
        refused(ct, ctx);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("the unmutated ciphertexts do open (the suite is not refusing everything)", () => {
    for (const ct of valid) {
      const o = open(kr, CTX, ct);
      tally.check(PLAIN.subarray(0, o.plaintext.length).equals(o.plaintext), "a genuine ciphertext opens to its plaintext");
    }
  });
});
