/**
 * Issue 16 (findings 1–5) and issue 17 (items 2 and 8) against the real provider servers: an attacker
 * who can write one provider (the Vault mirror, or the AWS source) or the state database, but holds no
 * Polyvault key. Each test plants what the review planted and checks what the fix promises.
 */
import type { TenantId } from "@polyvault/core";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsYaml, azureYaml, cliEnv, unavailable, vault, vaultYaml } from "./endpoints.js";
import { cli as runCli, sandbox } from "../harness/cli.js";
import { vaultRaw } from "./raw-stores.js";

const run = Date.now().toString(36);
const prefix = `atk${run}`;
const noAzure = unavailable("azure");
const KEYS = ["mirror", "cutover", "guard", "state", "adopt", "warn", "az", "native"] as const;
const T = Object.fromEntries(KEYS.map((k) => [k, `${k}-${run}`])) as Record<(typeof KEYS)[number], TenantId>;

const sb = sandbox({ prefix: "e2e-attacks", env: cliEnv() });
const { cwd, home: dataDir } = sb;
const configPath = join(cwd, "polyvault.yaml");
const deadPath = join(cwd, "dead.yaml");

/** The README's layout: one-line provider maps, comments, a mirror route per tenant. */
function config(awsEndpoint = aws.endpoint): string {
  return `# polyvault.yaml for the attack tests
providers:
  local: { type: file }
  aws: ${awsYaml(awsEndpoint, `, prefix: "${prefix}"`)}   # the primary
  vault: ${vaultYaml(vault.address, `, prefix: "${prefix}"`)}
${noAzure ? "" : `  azure: ${azureYaml(undefined, `, prefix: "${prefix}"`)}\n`}tenants:
  # every tenant: aws primary, vault mirror
${(["mirror", "cutover", "guard", "state", "adopt"] as const).map((k) => `  ${T[k]}: { primary: aws, mirrors: [vault] }`).join("\n")}
  ${T.warn}: { primary: local }
  ${T.native}: { primary: aws, mirrors: [vault] }
${noAzure ? "" : `  ${T.az}: { primary: aws, mirrors: [azure] }\n`}routes:
${(["mirror", "cutover", "guard", "state", "adopt"] as const).map((k) => `  r-${k}: { source: aws, targets: [vault], tenants: [${T[k]}], prune: true }   # ${k}`).join("\n")}
  r-warn: { source: local, targets: [aws], tenants: [${T.warn}] }
  r-native: { source: aws, targets: [{ provider: vault, encryption: native }], tenants: [${T.native}], nativeWaiver: "e2e" }
${noAzure ? "" : `  r-az: { source: aws, targets: [azure], tenants: [${T.az}] }\n`}`;
}

const cli = (args: string[], input = "") => runCli(sb, args, input);
const open = (path = configPath) => Runtime.open({ dataDir, configPath: path, env: cliEnv(), pushOnWrite: false });
const pvMeta = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith("pv-")));
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (e: { code?: string }) => e.code ?? String(e),
  );

beforeAll(() => {
  writeFileSync(configPath, config());
  writeFileSync(deadPath, config("http://127.0.0.1:1"));
  const init = cli(["init"]);
  expect(init.code, init.stderr).toBe(0);
});

describe("16.1: a mirror's own metadata does not vouch for it", () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await open();
  });
  afterAll(() => rt.close());
  const t = T.mirror;

  const failoverGet = async (name: string) => {
    const dead = await open(deadPath);
    try {
      const v = await dead.manager(t).get(name);
      return { value: v.bytes().toString(), servedBy: v.servedBy, stale: v.stale };
    } finally {
      await dead.close();
    }
  };

  it("an older ciphertext re-written as a new version with the current pv-digest is not 'in sync', is repaired, and is never served", async () => {
    const m = rt.manager(t);
    const engine = await rt.sync();
    await m.set("db/password", "rotated-away-password");
    await engine.apply({ route: "r-mirror" });
    await m.set("db/password", "current-password");
    await m.set("other", "other-value");
    await engine.apply({ route: "r-mirror" });
    const v = rt.provider("vault");
    const versions = await v.versions(t, "db/password");
    const oldest = versions.reduce((a, b) => (Number(a.version) < Number(b.version) ? a : b));
    const old = await v.get(t, "db/password", { version: oldest.version });
    const head = await v.head(t, "db/password");
    await v.put(t, "db/password", old.value, { metadata: pvMeta(head.metadata) });

    const plan = (await engine.plan({ route: "r-mirror" }))[0]?.plan.actions.find((a) => a.name === "db/password");
    expect(plan?.reason).not.toBe("in sync");
    expect(plan?.apply).not.toBe("none");
    // While the mirror holds the old ciphertext, a failover read refuses it (nothing vouches for it).
    expect(await codeOf(failoverGet("db/password"))).toBe("INTEGRITY");

    const before = new Date();
    const [r] = await engine.apply({ route: "r-mirror", names: ["db/password"] });
    expect(r?.result?.counts.failed).toBe(0);
    expect(await failoverGet("db/password")).toEqual({ value: "current-password", servedBy: "vault", stale: true });

    // mirrorSyncedAt is this secret's own sync time, not the newest sync of the tenant.
    const got = cli(["--config", deadPath, "secrets", "get", "other", "--tenant", t, "--json"]);
    expect(got.code, got.stderr).toBe(0);
    expect(new Date(JSON.parse(got.out).mirrorSyncedAt).getTime()).toBeLessThan(before.getTime());
  });

  it("a new version with pv-enc: native and the current digest serves nothing of the attacker's", async () => {
    const v = rt.provider("vault");
    const head = await v.head(t, "db/password");
    await v.put(t, "db/password", Buffer.from("attacker-value"), { metadata: { ...pvMeta(head.metadata), "pv-enc": "native" } });
    const engine = await rt.sync();
    const plan = (await engine.plan({ route: "r-mirror" }))[0]?.plan.actions.find((a) => a.name === "db/password");
    expect(plan?.apply).not.toBe("none");
    expect(await codeOf(failoverGet("db/password"))).toBe("INTEGRITY");
    await engine.apply({ route: "r-mirror" });
    expect((await failoverGet("db/password")).value).toBe("current-password");
  });
});

describe("16.1 on a native target: re-checked the same way", () => {
  it("a new plaintext version claiming the current digest is read back, rewritten, and never served", async () => {
    const rt = await open();
    const t = T.native;
    try {
      const m = rt.manager(t);
      const engine = await rt.sync();
      await m.set("api/key", "native-current");
      await engine.apply({ route: "r-native" });
      const v = rt.provider("vault");
      const head = await v.head(t, "api/key");
      await v.put(t, "api/key", Buffer.from("attacker-plaintext"), { metadata: pvMeta(head.metadata) });
      const plan = (await engine.plan({ route: "r-native" }))[0]?.plan.actions.find((a) => a.name === "api/key");
      expect(plan).toMatchObject({ action: "drift", apply: "verify" });
      const dead = await open(deadPath);
      try {
        expect(await codeOf(dead.manager(t).get("api/key"))).toBe("INTEGRITY");
        const [r] = await engine.apply({ route: "r-native" });
        expect(r?.result?.counts).toMatchObject({ repaired: 1, failed: 0 });
        expect((await dead.manager(t).get("api/key")).bytes().toString()).toBe("native-current");
      } finally {
        await dead.close();
      }
    } finally {
      await rt.close();
    }
  });
});

// Skipped only when test/run-tests.mjs reports the Azure server could not be started (reason in the
// title); `npm test` starts the project's own Key Vault API server, so there it always runs.
describe.skipIf(noAzure)(`16.1 on Azure${noAzure ? ` (NOT RUN: ${noAzure})` : ""}`, () => {
  it("a new version holding an older envelope, with the current digest in its tags, is not in sync and is never served", async () => {
    const rt = await open();
    const t = T.az;
    try {
      const m = rt.manager(t);
      const engine = await rt.sync();
      await m.set("db/password", "rotated-away-password");
      await engine.apply({ route: "r-az" });
      await m.set("db/password", "current-password");
      await engine.apply({ route: "r-az" });
      const az = rt.provider("azure");
      const versions = await az.versions(t, "db/password");
      const current = await az.get(t, "db/password");
      const older = versions.find((v) => v.version !== current.version);
      if (!older) throw new Error("azure kept no older version");
      const old = await az.get(t, "db/password", { version: older.version });
      await az.put(t, "db/password", old.value, { metadata: pvMeta(current.metadata) });
      const plan = (await engine.plan({ route: "r-az" }))[0]?.plan.actions.find((a) => a.name === "db/password");
      expect(plan?.apply).toBe("verify");
      const dead = await open(deadPath);
      try {
        expect(await codeOf(dead.manager(t).get("db/password"))).toBe("INTEGRITY");
        await engine.apply({ route: "r-az" });
        expect((await dead.manager(t).get("db/password")).bytes().toString()).toBe("current-password");
      } finally {
        await dead.close();
      }
    } finally {
      await rt.close();
    }
  });
});

describe("16.2 + 17.8: migrate --cutover does not leave the old route feeding the new primary; the file keeps its layout", () => {
  const t = T.cutover;
  it("after cutover, a write on the new primary survives sync and a deletion in the old one does not reach it", async () => {
    const rt = await open();
    try {
      await rt.manager(t).set("app/token", "v1");
      await (await rt.sync()).apply({ route: "r-cutover" });
    } finally {
      await rt.close();
    }
    const before = readFileSync(configPath, "utf8");
    const mig = cli(["migrate", "--tenant", t, "--from", "aws", "--to", "vault", "--verify", "--cutover"]);
    expect(mig.code, mig.stderr + mig.out).toBe(0);
    const after = readFileSync(configPath, "utf8");
    // Only what changes is rewritten: every line not about this tenant or its route is kept as it was.
    for (const line of before.split("\n").filter((l) => !l.includes(t) && !l.includes("r-cutover"))) expect(after.split("\n")).toContain(line);

    const set = cli(["secrets", "set", "app/token", "--tenant", t, "--value-stdin"], "v2");
    expect(set.code, set.stderr).toBe(0);
    expect(cli(["sync", "apply"]).code).toBe(0);
    const got = cli(["secrets", "get", "app/token", "--tenant", t, "--json"]);
    expect(JSON.parse(got.out)).toMatchObject({ value: "v2", version: 2, servedBy: "vault" });

    const rt2 = await open();
    try {
      await rt2.provider("aws").delete(t, "app/token");
    } finally {
      await rt2.close();
    }
    cli(["sync", "apply"]);
    expect(JSON.parse(cli(["secrets", "get", "app/token", "--tenant", t, "--json"]).out)).toMatchObject({ value: "v2", servedBy: "vault" });
  });

  it("configuration validation refuses a route whose target is the primary of one of its tenants", () => {
    const bad = join(cwd, "bad.yaml");
    writeFileSync(bad, config().replace(`r-guard: { source: aws, targets: [vault]`, `r-guard: { source: vault, targets: [aws]`));
    const r = cli(["--config", bad, "sync", "plan"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/routes\.r-guard\.targets\.0: 'aws' is the primary of tenant guard-/);
  });
});

describe("16.3 + 17.2: the mass-delete guard counts live verified secrets, refuses only the deletions, and forged values are not copied", () => {
  const t = T.guard;
  it("deleting 1 of 3 syncs without --confirm", async () => {
    const rt = await open();
    try {
      const m = rt.manager(t);
      for (const n of ["a", "b", "c"]) await m.set(n, `value-${n}`);
      const engine = await rt.sync();
      await engine.apply({ route: "r-guard" });
      await m.delete("a");
      const [r] = await engine.apply({ route: "r-guard" });
      expect(r?.result?.counts).toMatchObject({ deleted: 1, failed: 0 });
      expect(await codeOf(rt.provider("vault").head(t, "a"))).toBe("NOT_FOUND");
    } finally {
      await rt.close();
    }
  });

  it("36 forged source secrets are not copied and do not dilute the guard; a forged update is not copied; the other actions still apply", async () => {
    const rt = await open();
    try {
      const m = rt.manager(t);
      const engine = await rt.sync();
      for (const n of ["d", "e", "f", "g"]) await m.set(n, `value-${n}`);
      await engine.apply({ route: "r-guard" });
      const src = rt.provider("aws");
      const v = rt.provider("vault");
      for (let i = 0; i < 36; i++) {
        await src.put(t, `forged/${i}`, randomBytes(120), {
          metadata: { "pv-digest": randomBytes(32).toString("base64url"), "pv-rev": "1", "pv-size": "120" },
        });
      }
      const bHead = await src.head(t, "b");
      await src.put(t, "b", Buffer.from("not an envelope"), {
        metadata: { ...pvMeta(bHead.metadata), "pv-digest": randomBytes(32).toString("base64url"), "pv-rev": "2" },
      });
      const cHead = await v.head(t, "c");
      await v.put(t, "c", Buffer.from("drifted"), { metadata: { ...pvMeta(cHead.metadata), "pv-digest": "drift" } });
      for (const n of ["d", "e", "f", "g"]) await m.delete(n);

      const [r] = await engine.apply({ route: "r-guard" });
      for (let i = 0; i < 36; i++) expect(await codeOf(v.head(t, `forged/${i}`))).toBe("NOT_FOUND");
      for (const n of ["d", "e", "f", "g"]) expect(await codeOf(v.head(t, n))).toBe("resolved");
      expect(r?.result?.failures.filter((f) => f.name.length === 1 && "defg".includes(f.name)).map((f) => f.message)).toEqual(
        Array(4).fill(expect.stringMatching(/mass-delete guard.*--confirm/)),
      );
      // b keeps the last real envelope; c (drift) was repaired in the same run.
      const dead = await open(deadPath);
      try {
        expect((await dead.manager(t).get("b")).bytes().toString()).toBe("value-b");
        expect((await dead.manager(t).get("c")).bytes().toString()).toBe("value-c");
      } finally {
        await dead.close();
      }
      const [confirmed] = await engine.apply({ route: "r-guard" }, { confirm: true });
      expect(confirmed?.result?.counts.deleted).toBe(4);
    } finally {
      await rt.close();
    }
  });

  it("a push that can never succeed does not promise that the next sync will retry", () => {
    writeFileSync(join(cwd, "big"), randomBytes(70_000).toString("base64").slice(0, 70_000));
    const r = cli(["secrets", "set", "BIG", "--tenant", T.warn, "--value-file", join(cwd, "big")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*BIG.*aws cannot hold it/);
    expect(r.stderr).not.toMatch(/will retry/);
  });
});

describe("16.4: the state store is not trusted like a key", () => {
  const t = T.state;
  it("forged records for names the route never wrote delete nothing, padding is not erased, a forged far-future lease does not stop the route", async () => {
    const rt = await open();
    try {
      const m = rt.manager(t);
      for (const n of ["x", "y", "z"]) await m.set(n, `value-${n}`);
      const engine = await rt.sync();
      await engine.apply({ route: "r-state" });
      // Three genuine Polyvault secrets in the mirror that this route never wrote.
      const { SecretManager } = await import("@polyvault/core");
      const direct = new SecretManager({ tenant: m.tenant, keyring: rt.keyring, primary: rt.provider("vault") });
      for (const n of ["victim/1", "victim/2", "victim/3"]) await direct.set(n, "keep-me");
      const db = new Database(join(dataDir, "state.db"));
      const cols = (db.prepare("PRAGMA table_info(records)").all() as Array<{ name: string }>).map((c) => c.name);
      const insert = (name: string, version: string) =>
        db.prepare(`INSERT INTO records (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(
          ...cols.map(
            (c) =>
              ({
                route: "r-state",
                target: "vault",
                tenant: t,
                name,
                source_digest: "forged",
                source_revision: 1,
                target_version: version,
                synced_at: Date.now(),
              })[c] ?? "forged",
          ),
        );
      for (const n of ["victim/1", "victim/2", "victim/3"]) insert(n, (await rt.provider("vault").head(t, n)).version);
      for (let i = 0; i < 50; i++) insert(`padding/${i}`, "1");
      db.prepare("INSERT OR REPLACE INTO leases (name, owner, expires_at) VALUES (?, ?, ?)").run(
        "route:r-state",
        "attacker:1:x",
        Date.now() + 10 * 365 * 86_400_000,
      );
      db.close();

      const [r] = await engine.apply({ route: "r-state" });
      expect(r?.skipped).toBeUndefined();
      for (const n of ["victim/1", "victim/2", "victim/3"]) expect(await codeOf(rt.provider("vault").head(t, n))).toBe("resolved");
      const check = new Database(join(dataDir, "state.db"), { readonly: true });
      expect((check.prepare("SELECT count(*) AS n FROM records WHERE route = 'r-state' AND name LIKE 'padding/%'").get() as { n: number }).n).toBe(50);
      check.close();
    } finally {
      await rt.close();
    }
    const status = JSON.parse(cli(["sync", "status", "--json"]).out);
    expect(status.routes.find((r: { name: string }) => r.name === "r-state").unauthenticatedRecords).toBe(53);
  });

  it("sync status shows who holds a route lease and for how long, and a skipped push-on-write warns", () => {
    const db = new Database(join(dataDir, "state.db"));
    db.prepare("INSERT OR REPLACE INTO leases (name, owner, expires_at) VALUES (?, ?, ?)").run("route:r-state", "otherhost:4242:abcd", Date.now() + 120_000);
    db.close();
    const status = JSON.parse(cli(["sync", "status", "--json"]).out);
    expect(status.routes.find((r: { name: string }) => r.name === "r-state").lease).toMatchObject({ holder: "otherhost:4242:abcd" });
    const set = cli(["secrets", "set", "x", "--tenant", t, "--value-stdin"], "new-x");
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toMatch(/warning: .*x.*not pushed.*otherhost:4242:abcd/);
  });
});

describe("16.5: adopt from a mirror does not overwrite the primary", () => {
  const t = T.adopt;
  it("a mirror secret stripped of its metadata and given a value is not adopted over the managed primary without --replace-primary", async () => {
    const rt = await open();
    let native: string;
    try {
      await rt.manager(t).set("api/key", "real-key");
      await (await rt.sync()).apply({ route: "r-adopt" });
      const fit = rt.provider("vault").nameFits(rt.manager(t).tenant, "api/key");
      if (!fit.ok) throw new Error(fit.reason);
      native = fit.nativeName;
    } finally {
      await rt.close();
    }
    const raw = vaultRaw(vault);
    await raw.remove(native);
    await raw.write(native, "attacker-key");
    const r = cli(["adopt", "--provider", "vault", "--tenant", t, "--confirm", "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--replace-primary/);
    expect(JSON.parse(cli(["secrets", "get", "api/key", "--tenant", t, "--json"]).out)).toMatchObject({ value: "real-key", servedBy: "aws", version: 1 });

    const forced = cli(["adopt", "--provider", "vault", "--tenant", t, "--confirm", "--replace-primary"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*replac/i);
    expect(JSON.parse(cli(["secrets", "get", "api/key", "--tenant", t, "--json"]).out)).toMatchObject({ value: "attacker-key", servedBy: "aws" });
  });
});
