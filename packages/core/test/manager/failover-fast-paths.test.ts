/**
 * The two shortcuts of a failover read (docs/benchmarks.md, "Failover reads"): a primary whose breaker is
 * open is not called, and the digest of a mirror envelope already opened and checked is not computed
 * again. Neither may change what a read returns or refuses.
 */
import { describe, expect, it } from "vitest";
import { IntegrityError, type MirrorRecord, SecretManager, UnavailableError, VerifiedDigests, checkedMirrorValue, digest, seal } from "../../src/index.js";
import { caught, memoryProvider, setup } from "../rotation/support.js";

/** A tenant whose primary is down and whose mirror holds `value` at revision 1, vouched for by a record. */
async function failingOver(value = "mirrored-value") {
  const s = await setup();
  const primary = memoryProvider("primary");
  const mirror = memoryProvider("mirror");
  primary.failing.add("*");
  await mirror.put(s.tenant, "db", seal(s.keyring, { tenant: s.tenant, name: "db", revision: 1 }, Buffer.from(value)), { metadata: { "pv-rev": "1" } });
  let record: MirrorRecord = { revision: 1, digest: digest(s.keyring, s.tenant, "db", value), encryption: "envelope", syncedAt: new Date() };
  let refusing = true;
  let primaryCalls = 0;
  const counted = {
    ...primary,
    get: (...a: Parameters<typeof primary.get>) => {
      primaryCalls++;
      return primary.get(...a);
    },
  };
  const manager = new SecretManager({
    tenant: s.tenant,
    keyring: s.keyring,
    primary: counted,
    mirrors: [{ provider: mirror, encryption: "envelope" }],
    mirrorRecord: async () => record,
    readPrimaryRefusing: () => refusing,
  });
  return {
    ...s,
    mirror,
    manager,
    primaryCalls: () => primaryCalls,
    setRefusing: (r: boolean) => {
      refusing = r;
    },
    setRecord: (r: MirrorRecord) => {
      record = r;
    },
  };
}

describe("a primary that refuses at once is not called", () => {
  it("while it refuses, reads are served by the mirror without a call to it; once it does not, it is called first again", async () => {
    const t = await failingOver();
    for (let i = 0; i < 3; i++) {
      const v = await t.manager.get("db");
      expect([v.text(), v.servedBy, v.stale]).toEqual(["mirrored-value", "mirror", true]);
    }
    expect(t.primaryCalls()).toBe(0);
    t.setRefusing(false);
    const v = await t.manager.get("db");
    expect([v.text(), v.servedBy]).toEqual(["mirrored-value", "mirror"]);
    expect(t.primaryCalls()).toBe(1);
  });

  it("with no mirror that could serve the read, the primary is called and its refusal is what the caller gets", async () => {
    const s = await setup();
    const primary = memoryProvider("primary");
    primary.failing.add("*");
    let calls = 0;
    const manager = new SecretManager({
      tenant: s.tenant,
      keyring: s.keyring,
      primary: {
        ...primary,
        versions: (...a: Parameters<typeof primary.versions>) => {
          calls++;
          return primary.versions(...a);
        },
      },
      // A native mirror cannot serve a given version (only envelopes carry one).
      mirrors: [{ provider: memoryProvider("native"), encryption: "native" }],
      mirrorRecord: async () => undefined,
      readPrimaryRefusing: () => true,
    });
    const err = await caught(() => manager.get("db", { version: 1 }));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe("provider primary is down (versions)");
    expect(calls).toBe(1);
  });

  it("when every mirror fails too, the caller gets the last mirror's error, as without the shortcut", async () => {
    const t = await failingOver();
    t.mirror.failing.add("get");
    const err = await caught(() => t.manager.get("db"));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe("provider mirror is down (get)");
    expect(t.primaryCalls()).toBe(0);
  });
});

describe("the digest of a mirror envelope already checked", () => {
  it("is computed once per envelope, and a read is still refused when the record says another value", async () => {
    const t = await failingOver();
    for (let i = 0; i < 5; i++) expect((await t.manager.get("db")).text()).toBe("mirrored-value");
    // The record now vouches for another value (the sync copied a newer one the mirror does not hold).
    t.setRecord({ revision: 1, digest: digest(t.keyring, t.tenant, "db", "another value"), encryption: "envelope", syncedAt: new Date() });
    const err = await caught(() => t.manager.get("db"));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toBe(`mirror mirror's copy of "db" (tenant ${t.tenant}) is not the value the last sync copied: it is not served`);
  });

  it("an envelope replaced by another authentic one of the same revision is checked afresh (its bytes differ), and refused", async () => {
    const t = await failingOver("first");
    expect((await t.manager.get("db")).text()).toBe("first");
    // Someone who can write the mirror puts back an envelope of the same name and revision holding another
    // value (one the tenant's key sealed once: a purged and re-created secret's revision 1).
    await t.mirror.put(t.tenant, "db", seal(t.keyring, { tenant: t.tenant, name: "db", revision: 1 }, Buffer.from("second")), { metadata: { "pv-rev": "1" } });
    const err = await caught(() => t.manager.get("db"));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain("is not the value the last sync copied");
  });

  it("VerifiedDigests: one entry per envelope, the keyed digest of its plaintext, bounded", async () => {
    const s = await setup();
    const cache = new VerifiedDigests();
    const env = seal(s.keyring, { tenant: s.tenant, name: "db", revision: 1 }, Buffer.from("v"));
    const ctx = { tenant: s.tenant, name: "db", mirror: "m", wanted: undefined };
    const record: MirrorRecord = { revision: 1, digest: digest(s.keyring, s.tenant, "db", "v"), encryption: "envelope", syncedAt: new Date() };
    const stored = () => ({ name: "db", version: "1", updatedAt: undefined, managed: true, metadata: {}, value: Buffer.from(env) });
    for (let i = 0; i < 3; i++) expect(checkedMirrorValue(s.keyring, ctx, stored(), record, cache).plaintext.toString()).toBe("v");
    expect(cache.size).toBe(1);
    // A second envelope of the same value (another nonce) is another entry, with the same digest.
    const env2 = seal(s.keyring, { tenant: s.tenant, name: "db", revision: 1 }, Buffer.from("v"));
    expect(checkedMirrorValue(s.keyring, ctx, { ...stored(), value: Buffer.from(env2) }, record, cache).plaintext.toString()).toBe("v");
    expect(cache.size).toBe(2);
    // An altered envelope never reaches the cache: opening it fails first.
    const bad = Buffer.from(env);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect(() => checkedMirrorValue(s.keyring, ctx, { ...stored(), value: bad }, record, cache)).toThrow(IntegrityError);
    expect(cache.size).toBe(2);
    for (let i = 0; i < VerifiedDigests.MAX_ENTRIES + 5; i++) cache.of(s.keyring, s.tenant, "db", Buffer.from(`envelope ${i}`), Buffer.from("v"));
    expect(cache.size).toBe(VerifiedDigests.MAX_ENTRIES);
    // One instance per keyring, whichever tenant's manager asks: the bound is the process's.
    expect(VerifiedDigests.for(s.keyring)).toBe(VerifiedDigests.for(s.keyring));
    expect(VerifiedDigests.for(s.keyring)).not.toBe(VerifiedDigests.for((await setup()).keyring));
  });
});
