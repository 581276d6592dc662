/**
 * Issue 15.6: a missing keys/keyring.json is never re-created over stored secrets (a new keyring opens
 * nothing the old one sealed, and restarts at key version 1); only a data directory that never held
 * anything gets a new one.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const keyringOf = (home: string) => join(home, "keys", "keyring.json");

describe("a missing keyring", () => {
  it("is refused (exit 6) while the file store holds secrets, for reads and writes, and is not re-created", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "db", "--tenant", "acme", "--value-stdin"], "v1").code).toBe(0);
    rmSync(keyringOf(sb.home));
    const get = cli(sb, ["secrets", "get", "db", "--tenant", "acme"]);
    expect(get.code).toBe(6);
    expect(get.stderr).toMatch(
      /^polyvault: INTEGRITY: .*keys\/keyring\.json is missing, but provider local holds Polyvault secrets of tenant acme; .*none is created/,
    );
    const set = cli(sb, ["secrets", "set", "other", "--tenant", "acme", "--value-stdin"], "v");
    expect(set.code).toBe(6);
    expect(cli(sb, ["keys", "status"]).code).toBe(6);
    expect(existsSync(keyringOf(sb.home))).toBe(false);
    expect(readdirSync(join(sb.home, "store", "acme", "s"))).toEqual(["db"]);
    // init does not paper over it either: the master key is still there.
    expect(cli(sb, ["init"]).code).toBe(1);
    expect(existsSync(keyringOf(sb.home))).toBe(false);
  });

  it("is refused when the secrets live outside the data directory (a store the data-directory check cannot see)", () => {
    const sb = sandbox();
    const key = randomBytes(32).toString("base64");
    writeFileSync(join(sb.cwd, "polyvault.yaml"), "providers:\n  far: { type: file, dir: ./far-store }\ntenants:\n  acme: { primary: far }\n");
    const env = { POLYVAULT_MASTER_KEY: key };
    expect(cli(sb, ["secrets", "set", "db", "--tenant", "acme", "--value-stdin"], "v1", env).code).toBe(0);
    rmSync(keyringOf(sb.home));
    const r = cli(sb, ["secrets", "list", "--tenant", "acme"], undefined, env);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/provider far holds Polyvault secrets of tenant acme/);
    expect(existsSync(keyringOf(sb.home))).toBe(false);
  });

  it("is created on first use of an empty data directory, and after init", () => {
    const sb = sandbox();
    const env = { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") };
    expect(cli(sb, ["secrets", "set", "db", "--tenant", "acme", "--value-stdin"], "v1", env).code).toBe(0);
    expect(existsSync(keyringOf(sb.home))).toBe(true);
    const fresh = sandbox();
    mkdirSync(fresh.home);
    expect(cli(fresh, ["init"]).code).toBe(0);
    expect(existsSync(keyringOf(fresh.home))).toBe(true);
  });
});
