import { hkdfSync, randomBytes } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConflictError, IntegrityError, InternalError, InvalidInputError, NotFoundError } from "../../src/errors.js";
import { Keyring } from "../../src/crypto/index.js";
import { caught, caughtSync, randomKey, tempDataDir } from "./helpers.js";

const posix = process.platform !== "win32";
const keyringPath = (dir: string) => join(dir, "keys", "keyring.json");

describe("Keyring", () => {
  it("creates keys/keyring.json (0600) with version 1 when absent, holding no key in clear", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    using kr = await Keyring.open(dir, master);
    expect(kr.current).toBe(1);
    expect(kr.versions()).toMatchObject([{ version: 1, state: "active" }]);
    expect(kr.versions()[0]?.createdAt).toBeInstanceOf(Date);
    const text = await readFile(keyringPath(dir), "utf8");
    expect(text).not.toContain(master.toString("base64"));
    expect(text).not.toContain(master.toString("hex"));
    if (posix) expect((await stat(keyringPath(dir))).mode & 0o777).toBe(0o600);
    expect((await readdir(join(dir, "keys"))).sort()).toEqual(["keyring.json"]); // no temp or lock file left
  });

  it("derives tenant keys as specified: HKDF(master, version secret, info) — stable across reopen", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    const kr1 = await Keyring.open(dir, master);
    const k1 = Buffer.from(kr1.tenantKey("acme", 1));
    const d1 = Buffer.from(kr1.digestKey("acme"));
    kr1.close();
    using kr2 = await Keyring.open(dir, master);
    expect(kr2.tenantKey("acme", 1).equals(k1)).toBe(true);
    expect(kr2.digestKey("acme").equals(d1)).toBe(true);
    expect(kr2.tenantKey("globex", 1).equals(k1)).toBe(false);
    const expectedDigestKey = hkdfSync("sha256", master, "polyvault/digest/v1", "polyvault/v1|tenant=acme|purpose=digest", 32);
    expect(Buffer.from(expectedDigestKey).equals(d1)).toBe(true);
  });

  it("derives each (tenant, version) key and each digest key once per process (cached)", async () => {
    using kr = await Keyring.open(await tempDataDir(), randomKey());
    expect(kr.stats).toEqual({ tenantKeyDerivations: 0, digestKeyDerivations: 0, secretKeyDerivations: 0 });
    for (let i = 0; i < 50; i++) {
      kr.tenantKey("acme", 1);
      kr.tenantKey("globex", 1);
      kr.digestKey("acme");
    }
    expect(kr.stats).toEqual({ tenantKeyDerivations: 2, digestKeyDerivations: 1, secretKeyDerivations: 0 });
    expect(kr.tenantKey("acme", 1)).toBe(kr.tenantKey("acme", 1));
  });

  it("derives each per-secret key once, keeps them apart, and wipes them on close", async () => {
    const kr = await Keyring.open(await tempDataDir(), randomKey());
    const a = kr.secretKey("acme", 1, "db/url");
    for (let i = 0; i < 20; i++) kr.secretKey("acme", 1, "db/url");
    const b = kr.secretKey("acme", 1, "db/url2");
    const c = kr.secretKey("globex", 1, "db/url");
    expect(kr.stats.secretKeyDerivations).toBe(3);
    expect(a.equals(b) || a.equals(c) || b.equals(c)).toBe(false);
    expect(a.length).toBe(64);
    kr.close();
    expect(a.every((x) => x === 0)).toBe(true);
  });

  it("refuses invalid tenant ids (before deriving) and unknown versions", async () => {
    using kr = await Keyring.open(await tempDataDir(), randomKey());
    for (const t of ["", "../x", "ACME", "a/b", "x".repeat(64)]) {
      expect(() => kr.tenantKey(t, 1)).toThrow(InvalidInputError);
      expect(() => kr.digestKey(t)).toThrow(InvalidInputError);
    }
    for (const v of [0, 2, -1, 1.5, 2 ** 32]) expect(() => kr.tenantKey("acme", v)).toThrow(IntegrityError);
    expect(kr.stats.tenantKeyDerivations).toBe(0);
  });

  it("a wrong master key gives the clear IntegrityError", async () => {
    const dir = await tempDataDir();
    (await Keyring.open(dir, randomKey())).close();
    const err = await caught(() => Keyring.open(dir, randomKey()));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toBe(
      "the master key does not match this data directory's keyring (keys/keyring.json); " + "check POLYVAULT_MASTER_KEY / keys/master.key / the passphrase",
    );
    expect(await caught(() => Keyring.open(dir, randomBytes(16)))).toBeInstanceOf(InvalidInputError);
  });

  it("the re-read on an unknown version only accepts a keyring of this master key", async () => {
    const dir = await tempDataDir();
    const other = await tempDataDir();
    const master = randomKey();
    using kr = await Keyring.open(dir, master);
    const otherMaster = randomKey();
    using foreign = await Keyring.open(other, otherMaster);
    await foreign.rotate();
    // Someone swaps in a keyring made under another master key that claims version 2.
    await writeFile(keyringPath(dir), await readFile(keyringPath(other)));
    expect(caughtSync(() => kr.tenantKey("acme", 2))).toBeInstanceOf(IntegrityError);
    expect(kr.current).toBe(1);
    expect(kr.tenantKey("acme", 1)).toHaveLength(32);
  });

  it("a damaged keyring file is IntegrityError naming the file, not a crash", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    (await Keyring.open(dir, master)).close();
    const good = JSON.parse(await readFile(keyringPath(dir), "utf8"));
    const wrapped = Buffer.from(good.versions[0].wrappedSecret, "base64");
    wrapped[20] = (wrapped[20] ?? 0) ^ 1;
    const variants = [
      "",
      "null",
      "[]",
      "{",
      JSON.stringify({ ...good, format: "other" }),
      JSON.stringify({ ...good, versions: [] }),
      JSON.stringify({ ...good, versions: [{ ...good.versions[0], version: 2 }] }),
      JSON.stringify({ ...good, versions: [{ ...good.versions[0], state: "retired" }] }),
      JSON.stringify({ ...good, versions: [{ ...good.versions[0], wrappedSecret: wrapped.toString("base64") }] }),
      JSON.stringify({ ...good, versions: [{ ...good.versions[0], wrappedSecret: "AAAA" }] }),
    ];
    for (const v of variants) {
      await writeFile(keyringPath(dir), v);
      const err = await caught(() => Keyring.open(dir, master));
      expect(err, v).toBeInstanceOf(IntegrityError);
      expect(err.message).toContain("keyring.json");
    }
  });

  it("rotate adds version n+1, keeps old versions usable, and is seen by a reload elsewhere", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    using a = await Keyring.open(dir, master);
    using b = await Keyring.open(dir, master);
    const k1 = Buffer.from(a.tenantKey("acme", 1));
    expect(await a.rotate()).toBe(2);
    expect(await a.rotate()).toBe(3);
    expect(a.current).toBe(3);
    expect(a.versions().map((v) => [v.version, v.state])).toEqual([
      [1, "active"],
      [2, "active"],
      [3, "active"],
    ]);
    expect(a.tenantKey("acme", 1).equals(k1)).toBe(true);
    expect(a.tenantKey("acme", 3).equals(k1)).toBe(false);
    expect(b.current).toBe(1);
    // A ciphertext naming a version newer than b knows: b re-reads the file, which changed, by itself
    // (another gateway's scheduled rotation: docs/scheduled-jobs.md); a version in no file still fails.
    expect(b.tenantKey("acme", 3).equals(a.tenantKey("acme", 3))).toBe(true);
    expect(b.current).toBe(3);
    expect(() => b.tenantKey("acme", 9)).toThrow(IntegrityError);
    await b.reload();
    expect(b.current).toBe(3);
    expect(await b.rotate()).toBe(4); // b works from the file, not its stale copy
    if (posix) expect((await stat(keyringPath(dir))).mode & 0o777).toBe(0o600);
  });

  it("reload follows a keyring.json replaced under the same master key (cached keys are dropped)", async () => {
    const master = randomKey();
    const dirA = await tempDataDir();
    const dirB = await tempDataDir();
    using a = await Keyring.open(dirA, master);
    using b = await Keyring.open(dirB, master);
    const before = Buffer.from(a.tenantKey("acme", 1));
    await writeFile(keyringPath(dirA), await readFile(keyringPath(dirB)));
    await a.reload();
    expect(a.tenantKey("acme", 1).equals(before)).toBe(false);
    expect(a.tenantKey("acme", 1).equals(b.tenantKey("acme", 1))).toBe(true);
  });

  it("concurrent rotations from two keyrings lose no version", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    using a = await Keyring.open(dir, master);
    using b = await Keyring.open(dir, master);
    await Promise.all([a.rotate(), b.rotate(), a.rotate(), b.rotate()]);
    await a.reload();
    expect(a.current).toBe(5);
    expect((await readdir(join(dir, "keys"))).sort()).toEqual(["keyring.json"]);
  });

  it("retire destroys a version's secret; the current version cannot be retired", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    using kr = await Keyring.open(dir, master);
    kr.tenantKey("acme", 1);
    await kr.rotate();
    expect(await caught(() => kr.retire(2))).toBeInstanceOf(ConflictError);
    expect(await caught(() => kr.retire(7))).toBeInstanceOf(NotFoundError);
    await kr.retire(1);
    await kr.retire(1); // idempotent
    expect(kr.versions().map((v) => v.state)).toEqual(["retired", "active"]);
    expect(kr.versions()[0]?.retiredAt).toBeInstanceOf(Date);
    const err = caughtSync(() => kr.tenantKey("acme", 1));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain("key version 1 is retired");
    const file = JSON.parse(await readFile(keyringPath(dir), "utf8"));
    expect(file.versions[0]).toMatchObject({ version: 1, state: "retired", wrappedSecret: null });
    using again = await Keyring.open(dir, master);
    expect(() => again.tenantKey("acme", 1)).toThrow(/retired/);
    expect(again.tenantKey("acme", 2).length).toBe(32);
  });

  it("close() wipes cached keys and makes the keyring unusable; dispose does the same", async () => {
    const dir = await tempDataDir();
    const master = randomKey();
    const kr = await Keyring.open(dir, master);
    const tk = kr.tenantKey("acme", 1);
    const dk = kr.digestKey("acme");
    kr.close();
    expect(tk.equals(Buffer.alloc(32))).toBe(true);
    expect(dk.equals(Buffer.alloc(32))).toBe(true);
    expect(master.equals(Buffer.alloc(32))).toBe(false); // the caller's copy is the caller's
    expect(() => kr.tenantKey("acme", 1)).toThrow(InternalError);
    expect(() => kr.current).toThrow(InternalError);
    let held: Buffer | undefined;
    {
      using k2 = await Keyring.open(dir, master);
      held = k2.tenantKey("acme", 1);
    }
    expect(held.equals(Buffer.alloc(32))).toBe(true);
  });
});
