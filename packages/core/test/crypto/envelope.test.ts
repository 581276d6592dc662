import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IntegrityError, InvalidInputError, PolyvaultError } from "../../src/errors.js";
import { digest, ENVELOPE_OVERHEAD, HEADER_BYTES, Keyring, open, parseHeader, seal } from "../../src/crypto/index.js";
import { caughtSync, randomKey, tempDataDir } from "./helpers.js";

const ctx = { tenant: "acme", name: "SPOTIFY_CLIENT_SECRET", revision: 1 };
const octx = { tenant: "acme", name: "SPOTIFY_CLIENT_SECRET" };
const CANARY = Buffer.from("canary-plaintext-7f3a");

async function keyring(master: Buffer = randomKey(), dir?: string): Promise<Keyring> {
  return Keyring.open(dir ?? (await tempDataDir()), master);
}

function expectIntegrity(fn: () => unknown, what: string): IntegrityError {
  const err = caughtSync(fn);
  expect(err, what).toBeInstanceOf(IntegrityError);
  expect(err.message).not.toContain(CANARY.toString());
  return err as IntegrityError;
}

describe("envelope v1: format", () => {
  it("lays out header, body and tag byte by byte as documented (suite 2), and can be opened with the spec alone", async () => {
    using kr = await keyring();
    const ct = seal(kr, { ...ctx, revision: 7 }, CANARY);
    expect(ct.length).toBe(ENVELOPE_OVERHEAD + CANARY.length);
    expect([...ct.subarray(0, 4)]).toEqual([0x50, 0x56, 0x01, 0x02]);
    expect(ct.readUInt32BE(4)).toBe(1);
    expect(ct.readUInt32BE(8)).toBe(7);
    const h = parseHeader(ct);
    expect(h).toMatchObject({ formatVersion: 1, suite: 2, keyVersion: 1, revision: 7, ciphertextLength: CANARY.length });
    // Independent re-implementation from docs/security-model.md with node:crypto only.
    const t = Buffer.from("acme");
    const n = Buffer.from(ctx.name);
    const len = (b: Buffer) => Buffer.from([b.length >> 8, b.length & 0xff]);
    const info = Buffer.concat([Buffer.from("polyvault/v1/dek|"), len(n), n]);
    const okm = Buffer.from(hkdfSync("sha256", kr.tenantKey("acme", 1), "polyvault/v1/secret-key", info, 64));
    expect(ct.subarray(56, 88).equals(okm.subarray(32))).toBe(true);
    const aad = Buffer.concat([ct.subarray(0, HEADER_BYTES), len(t), t, len(n), n]);
    const d = createDecipheriv("aes-256-gcm", okm.subarray(0, 32), ct.subarray(44, 56));
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - 16));
    expect(Buffer.concat([d.update(ct.subarray(HEADER_BYTES, ct.length - 16)), d.final()]).equals(CANARY)).toBe(true);
  });

  it("still opens suite 1 (per-message key) ciphertexts, built from the spec alone", async () => {
    using kr = await keyring();
    const header = Buffer.alloc(HEADER_BYTES);
    header.write("PV", 0, "latin1");
    header[2] = 1;
    header[3] = 1;
    header.writeUInt32BE(1, 4);
    header.writeUInt32BE(3, 8);
    randomBytes(44).copy(header, 12, 0, 44);
    const okm = Buffer.from(hkdfSync("sha256", kr.tenantKey("acme", 1), header.subarray(12, 44), "polyvault/v1/dek", 64));
    okm.copy(header, 56, 32, 64);
    const t = Buffer.from("acme");
    const n = Buffer.from(ctx.name);
    const len = (b: Buffer) => Buffer.from([b.length >> 8, b.length & 0xff]);
    const c = createCipheriv("aes-256-gcm", okm.subarray(0, 32), header.subarray(44, 56));
    c.setAAD(Buffer.concat([header, len(t), t, len(n), n]));
    const ct = Buffer.concat([header, c.update(CANARY), c.final(), c.getAuthTag()]);
    const opened = open(kr, { ...ctx, expectedRevision: 3 }, ct);
    expect(opened.plaintext.equals(CANARY)).toBe(true);
    ct[ct.length - 1] = (ct[ct.length - 1] as number) ^ 1;
    expect(() => open(kr, ctx, ct)).toThrow(IntegrityError);
  });

  it("uses a fresh salt and nonce every time", async () => {
    using kr = await keyring();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const h = parseHeader(seal(kr, ctx, CANARY));
      seen.add(h.salt.toString("hex"));
      seen.add(h.nonce.toString("hex"));
    }
    expect(seen.size).toBe(400);
  });
});

describe("envelope v1: round trips", () => {
  const values: [string, Buffer][] = [
    ["empty", Buffer.alloc(0)],
    ["one byte", Buffer.from([0x42])],
    ["binary with NULs", Buffer.from([0, 1, 0, 0, 255, 0, 0x50, 0x56, 0])],
    ["64 KiB", randomBytes(64 * 1024)],
    ["Unicode", Buffer.from("clé secrète — 秘密 — 🔑\u0000end", "utf8")],
  ];
  it.each(values)("%s", async (_, value) => {
    using kr = await keyring();
    const sealed = seal(kr, ctx, value);
    expect(sealed.includes(value) && value.length > 4).toBe(false);
    const r = open(kr, { ...octx, expectedRevision: 1 }, sealed);
    expect(r.plaintext.equals(value)).toBe(true);
    expect(r).toMatchObject({ keyVersion: 1, revision: 1 });
    expect(open(kr, octx, new Uint8Array(sealed)).plaintext.equals(value)).toBe(true); // plain Uint8Array in
  });

  it("refuses bad seal input with InvalidInputError", async () => {
    using kr = await keyring();
    for (const revision of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => seal(kr, { ...ctx, revision }, CANARY)).toThrow(InvalidInputError);
    }
    expect(() => seal(kr, { ...ctx, tenant: "../x" }, CANARY)).toThrow(InvalidInputError);
    expect(() => seal(kr, { ...ctx, name: "" }, CANARY)).toThrow(InvalidInputError);
    expect(() => seal(kr, ctx, "text" as unknown as Uint8Array)).toThrow(InvalidInputError);
  });
});

describe("envelope v1: integrity", () => {
  it("fails when moved to another tenant, name or revision", async () => {
    using kr = await keyring();
    const sealed = seal(kr, { ...ctx, revision: 3 }, CANARY);
    expectIntegrity(() => open(kr, { ...octx, tenant: "globex" }, sealed), "tenant");
    expectIntegrity(() => open(kr, { ...octx, name: "SPOTIFY_CLIENT_ID" }, sealed), "name");
    expectIntegrity(() => open(kr, { ...octx, name: "spotify_client_secret" }, sealed), "name case");
    const rev = expectIntegrity(() => open(kr, { ...octx, expectedRevision: 4 }, sealed), "revision");
    expect(rev.message).toContain("revision 3");
    // Rewriting the header's revision to match does not help: the header is in the AAD.
    const forged = Buffer.from(sealed);
    forged.writeUInt32BE(4, 8);
    expectIntegrity(() => open(kr, { ...octx, expectedRevision: 4 }, forged), "forged revision");
    // Tenant/name boundaries are length-prefixed: "acme"+"x/y" is not "acmex"+"/y".
    const s2 = seal(kr, { tenant: "ab", name: "c", revision: 1 }, CANARY);
    expectIntegrity(() => open(kr, { tenant: "a", name: "bc" }, s2), "boundary");
  });

  it("fails when moved to another key version (header rewritten)", async () => {
    using kr = await keyring();
    const v1 = seal(kr, ctx, CANARY);
    await kr.rotate();
    const moved = Buffer.from(v1);
    moved.writeUInt32BE(2, 4);
    const err = expectIntegrity(() => open(kr, octx, moved), "key version");
    expect(err.message).toContain("key commitment");
  });

  it("fails on every single-byte flip, anywhere", async () => {
    using kr = await keyring();
    const sealed = seal(kr, ctx, CANARY);
    for (let i = 0; i < sealed.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const c = Buffer.from(sealed);
        c[i] = (c[i] ?? 0) ^ mask;
        expectIntegrity(() => open(kr, octx, c), `byte ${i} ^ ${mask}`);
      }
    }
  });

  it("fails on every truncation and on appended bytes", async () => {
    using kr = await keyring();
    const sealed = seal(kr, ctx, CANARY);
    for (let n = 0; n < sealed.length; n++) expectIntegrity(() => open(kr, octx, sealed.subarray(0, n)), `first ${n}`);
    for (let n = 1; n < sealed.length; n++) expectIntegrity(() => open(kr, octx, sealed.subarray(n)), `from ${n}`);
    expectIntegrity(() => open(kr, octx, Buffer.concat([sealed, Buffer.from([0])])), "appended");
  });

  it("random bytes only ever give IntegrityError (never another error or a crash)", async () => {
    using kr = await keyring();
    const header = seal(kr, ctx, CANARY).subarray(0, 4);
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(i % 300);
      if (i % 2 === 0 && junk.length >= 4) header.copy(junk); // get past the magic half the time
      if (i % 4 === 0 && junk.length >= 12) junk.writeUInt32BE(1 + (i % 3), 4);
      expectIntegrity(() => open(kr, octx, junk), `junk ${i}`);
      try {
        parseHeader(junk);
      } catch (err) {
        expect(err).toBeInstanceOf(IntegrityError);
      }
    }
    for (const v of [null, undefined, "PV", 42, {}]) expectIntegrity(() => parseHeader(v as unknown as Uint8Array), String(v));
  });

  it("parseHeader names what is wrong", async () => {
    expect(caughtSync(() => parseHeader(Buffer.from("hello world"))).message).toBe("not a Polyvault ciphertext");
    const v2 = Buffer.alloc(200);
    v2.write("PV");
    v2[2] = 2;
    expect(caughtSync(() => parseHeader(v2)).message).toBe("unsupported Polyvault ciphertext format version 2");
    expect(caughtSync(() => parseHeader(Buffer.from([0x50, 0x56, 1, 1]))).message).toMatch(/truncated/);
  });

  it("a wrong master key cannot even open the keyring; a second data dir's key cannot open the data", async () => {
    const dir = await tempDataDir();
    using kr = await keyring(randomKey(), dir);
    const sealed = seal(kr, ctx, CANARY);
    await expect(Keyring.open(dir, randomKey())).rejects.toThrow(/master key does not match/);
    using other = await keyring();
    expectIntegrity(() => open(other, octx, sealed), "other keyring");
  });
});

describe("envelope v1: key rotation and retirement", () => {
  it("old ciphertexts still open after rotation; new ones use the new version", async () => {
    using kr = await keyring();
    const old = seal(kr, ctx, CANARY);
    await kr.rotate();
    const fresh = seal(kr, { ...ctx, revision: 2 }, Buffer.from("new"));
    expect(parseHeader(fresh).keyVersion).toBe(2);
    expect(open(kr, octx, old)).toMatchObject({ keyVersion: 1, revision: 1 });
    expect(open(kr, octx, old).plaintext.equals(CANARY)).toBe(true);
    expect(open(kr, octx, fresh).plaintext.toString()).toBe("new");
  });

  it("retiring a version makes its ciphertexts unreadable, naming the version", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    using kr = await keyring(master, dir);
    const old = seal(kr, ctx, CANARY);
    await kr.rotate();
    const fresh = seal(kr, ctx, CANARY);
    await kr.retire(1);
    const err = expectIntegrity(() => open(kr, octx, old), "retired");
    expect(err.message).toContain("key version 1 is retired");
    using reopened = await keyring(master, dir);
    expectIntegrity(() => open(reopened, octx, old), "retired after reopen");
    expect(open(reopened, octx, fresh).plaintext.equals(CANARY)).toBe(true);
  });
});

describe("digest", () => {
  it("is hmac-sha256 under the tenant digest key over u16(len name) ‖ name ‖ value", async () => {
    using kr = await keyring();
    const d = digest(kr, "acme", "db/url", CANARY);
    const expected = createHmac("sha256", kr.digestKey("acme"))
      .update(Buffer.concat([Buffer.from([0, 6]), Buffer.from("db/url"), CANARY]))
      .digest("hex");
    expect(d).toBe(`hmac-sha256:${expected}`);
    expect(digest(kr, "acme", "db/url", CANARY.toString())).toBe(d);
  });

  it("depends on tenant, name and value, not on key version; reveals nothing plain", async () => {
    using kr = await keyring();
    const d = digest(kr, "acme", "a", CANARY);
    expect(digest(kr, "globex", "a", CANARY)).not.toBe(d);
    expect(digest(kr, "acme", "b", CANARY)).not.toBe(d);
    expect(digest(kr, "acme", "a", Buffer.from("other"))).not.toBe(d);
    expect(digest(kr, "acme", "a", Buffer.alloc(0))).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    await kr.rotate();
    expect(digest(kr, "acme", "a", CANARY)).toBe(d);
    expect(d).not.toContain(createHmac("sha256", "").update(CANARY).digest("hex"));
  });

  it("every crypto error is a PolyvaultError with no key bytes in the message", async () => {
    using kr = await keyring();
    const key = kr.tenantKey("acme", 1);
    const sealed = seal(kr, ctx, CANARY);
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    const err = caughtSync(() => open(kr, octx, sealed));
    expect(err).toBeInstanceOf(PolyvaultError);
    for (const enc of ["hex", "base64"] as const) expect(err.message).not.toContain(key.toString(enc));
  });
});
