import { randomBytes } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConflictError, IntegrityError, InvalidInputError, NotFoundError, UnauthorizedError } from "../../src/errors.js";
import { DEFAULT_SCRYPT, initMasterKey, Keyring, loadMasterKey, parseMasterKeyEnv } from "../../src/crypto/index.js";
import { caught, caughtSync, tempDataDir } from "./helpers.js";

const posix = process.platform !== "win32";
const FAST = { N: 2 ** 14, r: 8, p: 1 }; // the floor the code accepts; keeps these tests quick

describe("POLYVAULT_MASTER_KEY", () => {
  it("accepts base64 and base64url of exactly 32 bytes, with or without padding", async () => {
    const key = randomBytes(32);
    for (const v of [key.toString("base64"), key.toString("base64url"), `  ${key.toString("base64")}\n`]) {
      expect(parseMasterKeyEnv(v).equals(key)).toBe(true);
    }
    const loaded = await loadMasterKey({ dataDir: await tempDataDir(), env: { POLYVAULT_MASTER_KEY: key.toString("base64") } });
    expect(loaded.source).toBe("env");
    expect(loaded.key.equals(key)).toBe(true);
  });

  it("refuses anything else with InvalidInputError that names the variable and never echoes the value", async () => {
    const canary = "Q0FOQVJZ";
    const bad = [
      `${canary}`,
      randomBytes(31).toString("base64"),
      randomBytes(33).toString("base64"),
      randomBytes(64).toString("base64"),
      randomBytes(32).toString("hex"),
      `${randomBytes(32).toString("base64").slice(0, -2)}B=`, // non-canonical trailing bits
      `${canary}!!${randomBytes(30).toString("base64")}`,
      "%%%CANARY%%%",
    ];
    for (const v of bad) {
      const err = await caught(() => loadMasterKey({ dataDir: "/nonexistent", env: { POLYVAULT_MASTER_KEY: v } }));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toContain("POLYVAULT_MASTER_KEY");
      expect(err.message).not.toContain(v.trim());
      expect(err.message).not.toContain(v.trim().slice(0, 8));
      expect(err.message).not.toContain("CANARY");
    }
  });

  it("takes precedence over the key file; an empty variable counts as unset", async () => {
    const dir = await tempDataDir();
    const file = await initMasterKey(dir);
    const env = randomBytes(32);
    expect((await loadMasterKey({ dataDir: dir, env: { POLYVAULT_MASTER_KEY: env.toString("base64") } })).key.equals(env)).toBe(true);
    const fromFile = await loadMasterKey({ dataDir: dir, env: { POLYVAULT_MASTER_KEY: "" } });
    expect(fromFile.source).toBe("file");
    expect(fromFile.key.equals(file.key)).toBe(true);
  });
});

describe("keys/master.key", () => {
  it("init creates keys/ 0700 and master.key 0600 with 32 random bytes; load reads it back", async () => {
    const dir = await tempDataDir();
    const created = await initMasterKey(dir);
    const path = join(dir, "keys", "master.key");
    expect(created.key.length).toBe(32);
    expect(await readFile(path)).toEqual(created.key);
    if (posix) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "keys"))).mode & 0o777).toBe(0o700);
    }
    const loaded = await loadMasterKey({ dataDir: dir, env: {} });
    expect(loaded).toMatchObject({ source: "file", origin: path, warnings: [] });
    expect(loaded.key.equals(created.key)).toBe(true);
  });

  it("init refuses to overwrite existing keys (ConflictError) and changes nothing", async () => {
    const dir = await tempDataDir();
    const first = await initMasterKey(dir);
    for (const opts of [{}, { passphrase: "p", scrypt: FAST }]) {
      expect(await caught(() => initMasterKey(dir, opts))).toBeInstanceOf(ConflictError);
    }
    expect((await readFile(join(dir, "keys", "master.key"))).equals(first.key)).toBe(true);
  });

  it.runIf(posix)("refuses a key file readable by group or others, and says how to fix it", async () => {
    const dir = await tempDataDir();
    await initMasterKey(dir);
    const path = join(dir, "keys", "master.key");
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      await chmod(path, mode);
      const err = await caught(() => loadMasterKey({ dataDir: dir, env: {} }));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toContain("chmod 600");
    }
    await chmod(path, 0o400);
    expect((await loadMasterKey({ dataDir: dir, env: {} })).source).toBe("file");
  });

  it.runIf(posix)("warns about a keys/ directory open to others", async () => {
    const dir = await tempDataDir();
    await initMasterKey(dir);
    await chmod(join(dir, "keys"), 0o755);
    const loaded = await loadMasterKey({ dataDir: dir, env: {} });
    expect(loaded.warnings.join("\n")).toContain("chmod 700");
  });

  it("refuses a key file of the wrong size; reports a missing key clearly", async () => {
    const dir = await tempDataDir();
    expect(await caught(() => loadMasterKey({ dataDir: dir, env: {} }))).toBeInstanceOf(NotFoundError);
    await initMasterKey(dir);
    await writeFile(join(dir, "keys", "master.key"), randomBytes(31), { mode: 0o600 });
    expect(await caught(() => loadMasterKey({ dataDir: dir, env: {} }))).toBeInstanceOf(IntegrityError);
  });
});

describe("passphrase", () => {
  it("stretches with scrypt N=2^17, r=8, p=1 by default and records the parameters", { timeout: 60_000 }, async () => {
    const dir = await tempDataDir();
    const created = await initMasterKey(dir, { passphrase: "correct horse battery staple" });
    const file = JSON.parse(await readFile(join(dir, "keys", "passphrase.json"), "utf8"));
    expect(file).toMatchObject({ kdf: "scrypt", N: 131072, r: 8, p: 1 });
    expect(DEFAULT_SCRYPT).toEqual({ N: 131072, r: 8, p: 1 });
    expect(Buffer.from(file.salt, "base64").length).toBe(16);
    expect(JSON.stringify(file)).not.toContain("horse");
    if (posix) expect((await stat(join(dir, "keys", "passphrase.json"))).mode & 0o777).toBe(0o600);
    const loaded = await loadMasterKey({ dataDir: dir, env: {}, passphrase: "correct horse battery staple" });
    expect(loaded.source).toBe("passphrase");
    expect(loaded.key.equals(created.key)).toBe(true);
  });

  it("same passphrase → same key (option or $POLYVAULT_PASSPHRASE; NFC-normalized)", async () => {
    const dir = await tempDataDir();
    const created = await initMasterKey(dir, { passphrase: "caf\u00e9 au lait", scrypt: FAST });
    const a = await loadMasterKey({ dataDir: dir, env: {}, passphrase: "cafe\u0301 au lait" });
    const b = await loadMasterKey({ dataDir: dir, env: { POLYVAULT_PASSPHRASE: "caf\u00e9 au lait" } });
    expect(a.key.equals(created.key)).toBe(true);
    expect(b.key.equals(created.key)).toBe(true);
  });

  it("a wrong passphrase is reported as such (not as a keyring mismatch) and never echoed", async () => {
    const dir = await tempDataDir();
    const created = await initMasterKey(dir, { passphrase: "right-one", scrypt: FAST });
    (await Keyring.open(dir, created.key)).close();
    const err = await caught(() => loadMasterKey({ dataDir: dir, env: {}, passphrase: "WRONG-CANARY" }));
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.message).toMatch(/passphrase is wrong/);
    expect(err.message).not.toContain("WRONG-CANARY");
  });

  it("tells a missing passphrase, a passphrase for a key-file directory and a damaged file apart", async () => {
    const pdir = await tempDataDir();
    await initMasterKey(pdir, { passphrase: "pw", scrypt: FAST });
    const missing = await caught(() => loadMasterKey({ dataDir: pdir, env: {} }));
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect(missing.message).toContain("passphrase");

    const fdir = await tempDataDir();
    await initMasterKey(fdir);
    const extra = await caught(() => loadMasterKey({ dataDir: fdir, env: {}, passphrase: "pw" }));
    expect(extra).toBeInstanceOf(InvalidInputError);
    expect(extra.message).toContain("master.key");

    const path = join(pdir, "keys", "passphrase.json");
    const file = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...file, N: 1024 }));
    expect(await caught(() => loadMasterKey({ dataDir: pdir, env: {}, passphrase: "pw" }))).toBeInstanceOf(IntegrityError);
    await writeFile(path, "{not json");
    expect(await caught(() => loadMasterKey({ dataDir: pdir, env: {}, passphrase: "pw" }))).toBeInstanceOf(IntegrityError);
  });

  it("refuses an empty passphrase and weak scrypt parameters at init", async () => {
    const dir = await tempDataDir();
    expect(await caught(() => initMasterKey(dir, { passphrase: "", scrypt: FAST }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(() => initMasterKey(dir, { passphrase: "pw", scrypt: { N: 1024 } }))).toBeInstanceOf(InvalidInputError);
    expect(caughtSync(() => parseMasterKeyEnv(""))).toBeInstanceOf(InvalidInputError);
  });
});
