import { randomBytes } from "node:crypto";
import { copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, start, killAt, sandbox, versionFiles } from "../../../test/harness/cli.js";

async function populate(home: string, tenant: string, count: number): Promise<Map<string, Buffer>> {
  const rt = await Runtime.open({ dataDir: home, env: {}, config: { providers: { local: { type: "file" } } } });
  const values = new Map<string, Buffer>();
  try {
    const m = rt.manager(tenant);
    for (let i = 0; i < count; i++) {
      const v = randomBytes(64);
      values.set(`s/${i}`, v);
      await m.set(`s/${i}`, v);
    }
  } finally {
    await rt.close();
  }
  return values;
}

async function readAll(home: string, tenant: string, values: Map<string, Buffer>): Promise<number> {
  const rt = await Runtime.open({ dataDir: home, env: {}, config: { providers: { local: { type: "file" } } } });
  let ok = 0;
  try {
    for (const [name, v] of values) {
      const got = await rt.manager(tenant).get(name);
      if (got.bytes().equals(v)) ok++;
    }
  } finally {
    await rt.close();
  }
  return ok;
}

describe("keys rotate, rewrap, status, retire", () => {
  const sb = sandbox();
  beforeAll(() => expect(cli(sb, ["init"]).code).toBe(0));

  it("rotate then rewrap leaves everything readable and 0 versions on the old key; retire then works", async () => {
    const values = await populate(sb.home, "acme", 20);
    expect(cli(sb, ["secrets", "rotate", "s/0", "--tenant", "acme", "--generate"]).code).toBe(0);
    values.delete("s/0");
    const rot = JSON.parse(cli(sb, ["keys", "rotate", "--json"]).out);
    expect(rot.current).toBe(2);
    let status = JSON.parse(cli(sb, ["keys", "status", "--json"]).out);
    expect(status.versions.find((v: { version: number }) => v.version === 1).protects).toBe(21);
    const early = cli(sb, ["keys", "retire", "1"]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      /key version 1 still protects 21 stored secret version\(s\) \(local \(primary of acme\): 21\); run `polyvault keys rewrap` first/,
    );

    const rw = JSON.parse(cli(sb, ["keys", "rewrap", "--json"]).out);
    expect(rw.tenants[0]).toMatchObject({ tenant: "acme", secrets: 20, versionsRewrapped: 21, versionsAlreadyCurrent: 0 });
    status = JSON.parse(cli(sb, ["keys", "status", "--json"]).out);
    expect(status.versions.find((v: { version: number }) => v.version === 1).protects).toBe(0);
    expect(status.versions.find((v: { version: number }) => v.version === 2).protects).toBe(21);
    expect(await readAll(sb.home, "acme", values)).toBe(values.size);
    expect(cli(sb, ["secrets", "get", "s/0", "--tenant", "acme", "--version", "1"]).code).toBe(0);

    expect(cli(sb, ["keys", "retire", "1"]).code).toBe(0);
    expect(cli(sb, ["keys", "retire", "2"]).code).not.toBe(0);
    expect(await readAll(sb.home, "acme", values)).toBe(values.size);
  });

  it("a rewrap killed with SIGKILL at a random moment completes on rerun with nothing lost", async () => {
    const sb2 = sandbox();
    expect(cli(sb2, ["init"]).code).toBe(0);
    const values = await populate(sb2.home, "bulk", 300);
    // Three kills that land mid-rewrap (a kill after the rewrap finished is not counted and retried).
    let midway = 0;
    for (let attempt = 0; midway < 3; attempt++) {
      expect(attempt, "the rewrap kept finishing before the kill").toBeLessThan(12);
      expect(cli(sb2, ["keys", "rotate"]).code).toBe(0);
      // Kill once the rewrap has rewritten a random number of the 300 versions (files newer than its
      // start), never on a timer that may land during Node's start-up.
      const store = join(sb2.home, "store", "bulk");
      const t0 = Date.now();
      const rewritten = () => versionFiles(store).filter((f) => (statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0) > t0).length;
      const child = start(sb2, ["keys", "rewrap"]);
      const hit = await killAt(child, rewritten, 1 + Math.floor(Math.random() * 150));
      if (hit.killed && hit.progress < 300) midway++;
      const partial = JSON.parse(cli(sb2, ["keys", "status", "--json"]).out);
      const rerun = cli(sb2, ["keys", "rewrap", "--json"]);
      expect(rerun.code, rerun.stderr).toBe(0);
      const status = JSON.parse(cli(sb2, ["keys", "status", "--json"]).out);
      const current = status.current as number;
      for (const v of status.versions as Array<{ version: number; protects: number }>) expect(v.protects).toBe(v.version === current ? 300 : 0);
      expect(partial.versions.reduce((a: number, v: { protects: number }) => a + v.protects, 0)).toBe(300);
      expect(await readAll(sb2.home, "bulk", values)).toBe(300);
    }
  }, 600_000);
});

describe("integrity and master keys", () => {
  const sb = sandbox();
  beforeAll(() => expect(cli(sb, ["init"]).code).toBe(0));

  it("one tenant's stored secret copied over another tenant's → exit 6", () => {
    cli(sb, ["secrets", "set", "token", "--tenant", "alpha", "--value-stdin"], "alpha-value");
    cli(sb, ["secrets", "set", "token", "--tenant", "beta", "--value-stdin"], "beta-value");
    const file = (t: string) => join(sb.home, "store", t, "s", "token", "v0000000001.pv");
    copyFileSync(file("alpha"), file("beta"));
    const r = cli(sb, ["secrets", "get", "token", "--tenant", "beta"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^polyvault: INTEGRITY: /);
    expect(r.stderr).not.toContain("alpha-value");
  });

  it("a flipped byte in a stored ciphertext → exit 6", () => {
    cli(sb, ["secrets", "set", "flip", "--tenant", "alpha", "--value-stdin"], "flip-value");
    const file = join(sb.home, "store", "alpha", "s", "flip", "v0000000001.pv");
    const data = readFileSync(file);
    data[data.length - 20] = (data[data.length - 20] as number) ^ 0x01;
    writeFileSync(file, data);
    expect(cli(sb, ["secrets", "get", "flip", "--tenant", "alpha"]).code).toBe(6);
  });

  it("a wrong master key fails with a clear error, exit 6", () => {
    const other = randomBytes(32).toString("base64");
    const r = cli(sb, ["secrets", "get", "token", "--tenant", "alpha"], undefined, { POLYVAULT_MASTER_KEY: other });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/master key does not match this data directory's keyring/);
    expect(r.stderr).not.toContain(other);
  });

  it("a malformed POLYVAULT_MASTER_KEY is invalid input that does not echo the value", () => {
    const r = cli(sb, ["secrets", "list", "--tenant", "alpha"], undefined, { POLYVAULT_MASTER_KEY: "not-a-key-s3cr3t" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/POLYVAULT_MASTER_KEY is not a valid master key/);
    expect(r.stderr).not.toContain("s3cr3t");
  });

  it("a passphrase data dir: init from stdin, then commands with $POLYVAULT_PASSPHRASE", () => {
    const sp = sandbox();
    expect(cli(sp, ["init", "--passphrase-stdin"], "correct horse battery staple\n").code).toBe(0);
    const env = { POLYVAULT_PASSPHRASE: "correct horse battery staple" };
    expect(cli(sp, ["secrets", "set", "p", "--tenant", "t1", "--value-stdin"], "pv", env).code).toBe(0);
    expect(cli(sp, ["secrets", "get", "p", "--tenant", "t1"], undefined, env).out).toBe("pv");
    const wrong = cli(sp, ["secrets", "get", "p", "--tenant", "t1"], undefined, { POLYVAULT_PASSPHRASE: "wrong" });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/passphrase/);
  }, 60_000);
});
