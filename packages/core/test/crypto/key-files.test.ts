/**
 * Issue 15.6: Keyring.open re-creates a missing keyring only in a data directory that never held
 * anything. Issue 15.12: a FIFO (or any non-regular file) in the place of a key file is refused at once.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntegrityError, InvalidInputError, Keyring, initMasterKey, loadMasterKey } from "../../src/index.js";
import { caught, randomKey, tempDataDir } from "./helpers.js";

const keyringPath = (dir: string) => join(dir, "keys", "keyring.json");

describe("a missing keys/keyring.json", () => {
  it("is created in a data directory holding only its master key, and refused once the directory was used", async () => {
    const dir = await tempDataDir();
    const { key } = await initMasterKey(dir);
    (await Keyring.open(dir, key)).close();
    mkdirSync(join(dir, "store"));
    rmSync(keyringPath(dir));
    const err = await caught(() => Keyring.open(dir, key));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toMatch(/keyring\.json is missing, but the data directory .* has been used \(it holds store\)/);
    expect(existsSync(keyringPath(dir))).toBe(false);
  });

  it("is refused when keys/ holds other key files (an audit signing key: the directory was used)", async () => {
    const dir = await tempDataDir();
    const key = randomKey();
    mkdirSync(join(dir, "keys"), { mode: 0o700 });
    writeFileSync(join(dir, "keys", "audit-signing.key"), "x", { mode: 0o600 });
    expect((await caught(() => Keyring.open(dir, key))).message).toMatch(/keys\/ holds audit-signing\.key/);
  });

  it("follows the caller's rule: refuse always, or ask a guard first", async () => {
    const dir = await tempDataDir();
    const key = randomKey();
    expect(await caught(() => Keyring.open(dir, key, { ifMissing: "refuse" }))).toBeInstanceOf(IntegrityError);
    const guard = new Error("the guard said no");
    expect(await caught(() => Keyring.open(dir, key, { ifMissing: async () => Promise.reject(guard) }))).toBe(guard);
    expect(existsSync(keyringPath(dir))).toBe(false);
    let asked = 0;
    const kr = await Keyring.open(dir, key, { ifMissing: async () => void asked++ });
    expect([asked, kr.current]).toEqual([1, 1]);
    kr.close();
    (await Keyring.open(dir, key, { ifMissing: "refuse" })).close(); // present now: nothing to decide
  });
});

describe("key files that are not regular files", () => {
  it("a FIFO at keys/master.key is refused at once (it used to block forever)", async () => {
    const dir = await tempDataDir();
    mkdirSync(join(dir, "keys"), { mode: 0o700 });
    execFileSync("mkfifo", ["-m", "600", join(dir, "keys", "master.key")]);
    const err = await caught(() => loadMasterKey({ dataDir: dir, env: {} }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toMatch(/master\.key is not a regular file/);
  });

  it("a FIFO at keys/keyring.json or keys/passphrase.json is refused at once", async () => {
    const dir = await tempDataDir();
    const { key } = await initMasterKey(dir);
    execFileSync("mkfifo", ["-m", "600", keyringPath(dir)]);
    const err = await caught(() => Keyring.open(dir, key));
    expect([err instanceof IntegrityError, err.message]).toEqual([true, `${keyringPath(dir)} is not a regular file; refusing to read it`]);
    const p = await tempDataDir();
    mkdirSync(join(p, "keys"), { mode: 0o700 });
    execFileSync("mkfifo", ["-m", "600", join(p, "keys", "passphrase.json")]);
    expect(await caught(() => loadMasterKey({ dataDir: p, env: {}, passphrase: "pw" }))).toBeInstanceOf(IntegrityError);
  });
});
