/**
 * Issue 15.1: how a stored value is read (decrypted or not) comes from configuration, never from the
 * stored metadata; metadata can make a read fail, never return other bytes or skip a check.
 */
import { describe, expect, it } from "vitest";
import { IntegrityError, InvalidInputError, type MirrorRecord, SecretManager, type StoredSecret, digest, openStored, seal } from "../../src/index.js";
import { caught, memoryProvider, setup } from "../rotation/support.js";

const stored = (value: Buffer, metadata: Record<string, string>): StoredSecret => ({
  name: "db",
  version: "1",
  updatedAt: undefined,
  managed: true,
  metadata,
  value,
});

describe("openStored", () => {
  it("an envelope store decrypts whatever pv-enc says, and refuses anything that is not an envelope", async () => {
    const { keyring } = await setup();
    const env = seal(keyring, { tenant: "acme", name: "db", revision: 3 }, Buffer.from("secret"));
    for (const enc of [undefined, "envelope", "native", "anything"]) {
      const meta = { "pv-rev": "3", ...(enc === undefined ? {} : { "pv-enc": enc }) };
      const got = openStored(keyring, { tenant: "acme", name: "db", encryption: "envelope" }, stored(env, meta));
      expect([got.plaintext.toString(), got.revision, got.keyVersion, got.authenticated]).toEqual(["secret", 3, 1, true]);
    }
    const err = await caught(() =>
      openStored(keyring, { tenant: "acme", name: "db", encryption: "envelope" }, stored(Buffer.from("attacker"), { "pv-rev": "1", "pv-enc": "native" })),
    );
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).not.toContain("attacker");
  });

  it("a missing pv-rev is refused unless the caller gives the revision; a wrong one is refused", async () => {
    const { keyring } = await setup();
    const env = seal(keyring, { tenant: "acme", name: "db", revision: 2 }, Buffer.from("v2"));
    const e = { tenant: "acme", name: "db", encryption: "envelope" } as const;
    expect((await caught(() => openStored(keyring, e, stored(env, {})))).message).toBe(
      'stored secret "db" of tenant acme has no revision (pv-rev) in its metadata',
    );
    expect(await caught(() => openStored(keyring, e, stored(env, { "pv-rev": "1" })))).toBeInstanceOf(IntegrityError);
    expect(openStored(keyring, { ...e, expectedRevision: 2 }, stored(env, {})).plaintext.toString()).toBe("v2");
    expect(await caught(() => openStored(keyring, { ...e, expectedRevision: 1 }, stored(env, { "pv-rev": "2" })))).toBeInstanceOf(IntegrityError);
  });

  it("a native store gives the bytes, unauthenticated unless a trusted digest is given and matches", async () => {
    const { keyring } = await setup();
    const e = { tenant: "acme", name: "db", encryption: "native" } as const;
    const plain = openStored(keyring, e, stored(Buffer.from("text"), { "pv-rev": "4" }));
    expect([plain.plaintext.toString(), plain.revision, plain.keyVersion, plain.authenticated]).toEqual(["text", 4, 0, false]);
    const good = digest(keyring, "acme", "db", "text");
    expect(openStored(keyring, { ...e, expectedDigest: good }, stored(Buffer.from("text"), { "pv-rev": "4" })).authenticated).toBe(true);
    const bad = await caught(() => openStored(keyring, { ...e, expectedDigest: good }, stored(Buffer.from("forged"), { "pv-rev": "4" })));
    expect([bad instanceof IntegrityError, bad.message]).toEqual([true, 'stored secret "db" of tenant acme does not match the digest it was expected to have']);
    expect(await caught(() => openStored(keyring, { ...e, expectedRevision: 5 }, stored(Buffer.from("text"), { "pv-rev": "4" })))).toBeInstanceOf(
      IntegrityError,
    );
  });
});

describe("SecretManager failover by configuration", () => {
  it("a mirror given as envelope (or bare) never serves bytes because its metadata says native", async () => {
    const s = await setup();
    const mirror = memoryProvider("mirror");
    await new SecretManager({ tenant: s.tenant, keyring: s.keyring, primary: mirror }).set("db", "real");
    mirror.tamper("acme", "db", Buffer.from("attacker"), { "pv-enc": "native" });
    s.provider.failing.add("get");
    for (const mirrors of [[mirror], [{ provider: mirror, encryption: "envelope" as const }]]) {
      const m = new SecretManager({ tenant: s.tenant, keyring: s.keyring, primary: s.provider, mirrors });
      const err = await caught(() => m.get("db"));
      expect(err).toBeInstanceOf(IntegrityError);
    }
  });

  it("a mirror configured native is refused without a mirror record; with one it serves its bytes only as the record vouches", async () => {
    const s = await setup();
    const mirror = memoryProvider("mirror");
    await mirror.put(s.tenant, "db", Buffer.from("plain"), { metadata: { "pv-rev": "1" } });
    s.provider.failing.add("get");
    s.provider.failing.add("versions");
    const native = [{ provider: mirror, encryption: "native" as const }];
    // Nothing but the sync record's keyed digest authenticates a value stored in clear.
    const refused = await caught(() => new SecretManager({ tenant: s.tenant, keyring: s.keyring, primary: s.provider, mirrors: native }));
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(refused.message).toBe(
      "mirror mirror is configured native: failover reads from it need mirrorRecord (the sync state's authenticated record of its copy), since nothing else authenticates a value stored in clear",
    );
    expect((await mirror.get(s.tenant, "db")).value.toString()).toBe("plain");
    let record: MirrorRecord = { revision: 1, digest: digest(s.keyring, s.tenant, "db", "plain"), encryption: "native", syncedAt: new Date() };
    const m = new SecretManager({ tenant: s.tenant, keyring: s.keyring, primary: s.provider, mirrors: native, mirrorRecord: async () => record });
    const v = await m.get("db");
    expect([v.text(), v.servedBy, v.stale, v.keyVersion, v.version]).toEqual(["plain", "mirror", true, 0, 1]);
    expect((await caught(() => m.get("db", { version: 1 }))).message).toMatch(/is down/);
    // The mirror's bytes changed behind the sync's back: refused, not served.
    record = { ...record, digest: digest(s.keyring, s.tenant, "db", "other") };
    const err = await caught(() => m.get("db"));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toBe(`mirror mirror's copy of "db" (tenant ${s.tenant}) is not the value the last sync copied: it is not served`);
    expect(err.message).not.toContain("plain");
  });
});
