import { createHash, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, filesBelow, filesContaining, mode, sandbox } from "../../../test/harness/cli.js";

const CANARY = "CANARY-cli-backup-c0ffee";
const CONFIG = { providers: { local: { type: "file" as const } } };

/** n secrets in the tenant, secret i with (i % 3) + 1 versions; returns name → values oldest first. */
async function populate(home: string, tenant: string, n: number): Promise<Map<string, string[]>> {
  const rt = await Runtime.open({ dataDir: home, env: {}, config: CONFIG });
  const out = new Map<string, string[]>();
  try {
    const m = rt.manager(tenant);
    for (let i = 0; i < n; i++) {
      const name = `svc/${i}`;
      const values = Array.from({ length: (i % 3) + 1 }, (_, r) => `${CANARY}-${tenant}-${i}-${r}-${randomBytes(4).toString("hex")}`);
      for (const v of values) await m.set(name, v);
      out.set(name, values);
    }
  } finally {
    await rt.close();
  }
  return out;
}

/** Every version of every secret reads back, with the same revision numbers. */
async function verifyAll(home: string, tenant: string, expected: Map<string, string[]>): Promise<void> {
  const rt = await Runtime.open({ dataDir: home, env: {}, config: CONFIG });
  try {
    const m = rt.manager(tenant);
    expect((await m.list()).length).toBe(expected.size);
    for (const [name, values] of expected) {
      expect((await m.versions(name)).map((v) => v.version)).toEqual(values.map((_, i) => values.length - i));
      for (const [i, v] of values.entries()) expect((await m.get(name, { version: i + 1 })).text()).toBe(v);
    }
  } finally {
    await rt.close();
  }
}

/** A fingerprint of every file below dir (names and bytes), to show that nothing changed. */
/** Every file but the audit log's and its signing key (a refused restore is recorded there: see refusedRestores). */
function snapshot(dir: string): string {
  if (!existsSync(dir)) return "absent";
  const h = createHash("sha256");
  for (const f of filesBelow(dir)
    .filter((f) => !/\/(audit\.(log|head|lock)|keys\/audit-signing\.key)$/.test(f))
    .sort())
    h.update(f).update(readFileSync(f));
  return h.digest("hex");
}

/** The records of restores refused because the bundle did not verify (outcome INTEGRITY, no tenant). */
const refusedRestores = (home: string): number =>
  readFileSync(join(home, "audit.log"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((e) => e.action === "backup.restore" && e.outcome === "INTEGRITY" && e.tenant === undefined).length;

const noCanary = (...rs: CliResult[]) => {
  for (const r of rs) expect(r.stdout.includes(CANARY) || r.stderr.includes(CANARY)).toBe(false);
};

describe("backup create / restore", () => {
  const sb = sandbox();
  let values: Record<string, Map<string, string[]>> = {};
  const bundle = (t: string) => join(sb.cwd, `${t}.pvbackup`);

  beforeAll(async () => {
    expect(cli(sb, ["init"]).code).toBe(0);
    values = { acme: await populate(sb.home, "acme", 200), globex: await populate(sb.home, "globex", 200) };
  }, 120_000);

  it("2 tenants × 200 secrets with versions: backup, wipe, restore round-trips every version; no value in clear anywhere", async () => {
    for (const t of ["acme", "globex"]) {
      const r = cli(sb, ["backup", "create", "--tenant", t, "--out", bundle(t), "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ tenant: t, provider: "local", secrets: 200, versions: 399, skipped: [], file: bundle(t) });
      expect(mode(bundle(t))).toBe(0o600);
      noCanary(r);
    }
    expect(filesContaining(sb.cwd, Buffer.from(CANARY)).filter((f) => f.endsWith(".pvbackup"))).toEqual([]);

    // Wipe: a new data directory that holds only the master key.
    const fresh = sandbox();
    mkdirSync(join(fresh.home, "keys"), { recursive: true, mode: 0o700 });
    copyFileSync(join(sb.home, "keys", "master.key"), join(fresh.home, "keys", "master.key"));
    chmodSync(join(fresh.home, "keys", "master.key"), 0o600);

    const dry = cli(fresh, ["backup", "restore", bundle("acme"), "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.out);
    expect(plan).toMatchObject({ tenant: "acme", dryRun: true, keyring: "install", summary: { create: 200, append: 0, overwrite: 0, skip: 0, conflict: 0 } });
    expect(plan.actions[0]).toEqual({ name: "svc/0", action: "create", versions: 1, reason: "absent: 1 version(s) will be written, revisions 1..1" });
    expect(existsSync(join(fresh.home, "store"))).toBe(false);
    expect(existsSync(join(fresh.home, "keys", "keyring.json"))).toBe(false);

    for (const t of ["acme", "globex"]) {
      const r = cli(fresh, ["backup", "restore", bundle(t), "--tenant", t, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ tenant: t, dryRun: false, keyring: t === "acme" ? "install" : "compatible", summary: { create: 200 } });
      noCanary(r, dry);
    }
    await verifyAll(fresh.home, "acme", values.acme as Map<string, string[]>);
    await verifyAll(fresh.home, "globex", values.globex as Map<string, string[]>);
    expect(filesContaining(fresh.home, Buffer.from(CANARY))).toEqual([]);

    // Restoring again changes nothing.
    const again = cli(fresh, ["backup", "restore", bundle("acme"), "--json"]);
    expect(JSON.parse(again.out).summary).toEqual({ create: 0, append: 0, overwrite: 0, skip: 200, conflict: 0 });
    const drills = JSON.parse(readFileSync(join(fresh.home, "backup-drills.json"), "utf8")).drills;
    expect(drills.map((d: { tenant: string; kind: string }) => `${d.tenant}:${d.kind}`)).toEqual([
      "acme:dry-run",
      "acme:restore",
      "globex:restore",
      "acme:restore",
    ]);
  }, 180_000);

  it("one flipped byte in the bundle → exit 6, nothing written", () => {
    const data = readFileSync(bundle("acme"));
    const target = sandbox();
    expect(cli(target, ["init"]).code).toBe(0);
    const before = snapshot(target.home);
    for (const at of [10, Math.floor(data.length / 2), data.length - 30]) {
      const bad = Buffer.from(data);
      bad[at] = (bad[at] as number) ^ 0x04;
      const file = join(sb.cwd, "tampered.pvbackup");
      writeFileSync(file, bad);
      const r = cli(target, ["backup", "restore", file]);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/^polyvault: INTEGRITY: (backup bundle signature does not verify|not a Polyvault backup bundle, or damaged)/);
      noCanary(r);
      expect(cli(target, ["backup", "restore", file, "--dry-run"]).code).toBe(6);
    }
    expect(snapshot(target.home)).toBe(before);
    expect(refusedRestores(target.home)).toBe(6);
  });

  it("refuses a bundle of another installation (exit 6), of another tenant (exit 2), or one that does not exist (exit 3)", () => {
    const other = sandbox();
    expect(cli(other, ["init"]).code).toBe(0);
    const before = snapshot(other.home);
    const foreign = cli(other, ["backup", "restore", bundle("acme")]);
    expect(foreign.code).toBe(6);
    expect(foreign.stderr).toBe(
      "polyvault: INTEGRITY: backup bundle signature does not verify: it was signed under another master key (or its header was altered)\n",
    );
    const wrongTenant = cli(sb, ["backup", "restore", bundle("acme"), "--tenant", "globex"]);
    expect(wrongTenant.code).toBe(2);
    expect(wrongTenant.stderr).toBe("polyvault: INVALID_INPUT: the bundle holds tenant acme, not globex (ciphertexts are bound to their tenant)\n");
    const missing = cli(sb, ["backup", "restore", join(sb.cwd, "nope.pvbackup")]);
    expect(missing.code).toBe(3);
    expect(snapshot(other.home)).toBe(before);
    expect(refusedRestores(other.home)).toBe(1);
  });

  it("refuses to restore over a keyring made separately, before writing anything", () => {
    const other = sandbox();
    mkdirSync(join(other.home, "keys"), { recursive: true, mode: 0o700 });
    copyFileSync(join(sb.home, "keys", "master.key"), join(other.home, "keys", "master.key"));
    chmodSync(join(other.home, "keys", "master.key"), 0o600);
    expect(cli(other, ["secrets", "list", "--tenant", "acme"]).code).toBe(0); // creates its own keyring
    const before = snapshot(join(other.home, "keys"));
    const r = cli(other, ["backup", "restore", bundle("acme")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^polyvault: CONFLICT: .*keyring\.json is not the keyring the backup was made with \(key version 1 differs\)/);
    expect(snapshot(join(other.home, "keys"))).toBe(before);
    expect(existsSync(join(other.home, "store"))).toBe(false);
  });

  it("backup verify checks the signature, with the master key or offline", () => {
    expect(JSON.parse(cli(sb, ["backup", "verify", bundle("globex"), "--json"]).out)).toMatchObject({
      verified: true,
      offline: false,
      tenant: "globex",
      secrets: 200,
      versions: 399,
    });
    const foreign = sandbox();
    expect(cli(foreign, ["backup", "verify", bundle("globex"), "--offline"]).code).toBe(0);
    expect(cli(foreign, ["init"]).code).toBe(0);
    expect(cli(foreign, ["backup", "verify", bundle("globex")]).code).toBe(6);
  });

  it("bad arguments are refused with exit 2", () => {
    expect(cli(sb, ["backup", "create", "--out", join(sb.cwd, "x")]).stderr).toMatch(/required option '--tenant <tenant>' not specified/);
    const nodir = cli(sb, ["backup", "create", "--tenant", "acme", "--out", join(sb.cwd, "no", "such", "dir", "b")]);
    expect(nodir.code).toBe(2);
    expect(nodir.stderr).toMatch(/^polyvault: INVALID_INPUT: cannot write backup bundle to .* \(ENOENT\)/);
    expect(cli(sb, ["backup", "create", "--tenant", "../x", "--out", join(sb.cwd, "y")]).code).toBe(2);
  });
});
