/**
 * Scheduled, verified backups (issue 13.2): a run writes and verifies one bundle per tenant, `keep` is
 * honoured, the drill restores the newest into a scratch data directory with every version readable, a
 * tampered bundle is refused, and bad configuration gets its exact error.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IntegrityError, listBundles, parseTenantId, readDrills } from "@polyvault/core";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime, backupDrill, jobRunner, parseConfig } from "../../src/index.js";

const opened: Runtime[] = [];
afterEach(async () => {
  for (const rt of opened.splice(0).reverse()) await rt.close();
});

async function installation(backups: Record<string, unknown>) {
  const dataDir = mkdtempSync(join(tmpdir(), "pv-bk-"));
  const rt = await Runtime.open({
    dataDir,
    config: { providers: { local: { type: "file" } }, tenants: { acme: { primary: "local" }, globex: { primary: "local" } }, backups: backups as never },
    env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") },
  });
  opened.push(rt);
  await rt.manager("acme").set("DATABASE_URL", "postgres://acme-canary-7f3a");
  await rt.manager("acme").set("DATABASE_URL", "postgres://acme-canary-second");
  await rt.manager("acme").set("API_KEY", "acme-api-canary");
  await rt.manager("globex").set("JWT", "globex-jwt-canary");
  return { rt, dataDir };
}

describe("scheduled backups", () => {
  it("writes a verified bundle per tenant, keeps the newest `keep`, and the drill restores every version", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-bk-dir-"));
    const { rt, dataDir } = await installation({ schedule: "every 1s", dir, keep: 2 });
    const runner = jobRunner(rt);
    expect(runner.jobs.map((j) => [j.name, j.schedule])).toEqual([["backups", "every 1s"]]);
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(...(await runner.runDue({ force: true })));
    expect(runs.map((r) => r.status)).toEqual(["done", "done", "done", "done"]);
    expect(runs[0]).toMatchObject({ counts: { tenants: 2, secrets: 3, versions: 4, pruned: 0, skipped: 0 } });
    expect(runs.map((r) => ("counts" in r ? r.counts?.pruned : undefined))).toEqual([0, 0, 2, 2]);
    const acme = await listBundles(dir, "acme");
    expect(acme).toHaveLength(2);
    expect((await listBundles(dir)).map((e) => e.tenant)).toEqual(["acme", "acme", "globex", "globex"]);
    // The newest two are kept (names sort by creation time).
    const newest = runs.slice(2).map((r) => r.startedAt.getTime());
    expect(acme.every((e) => e.createdAt.getTime() >= Math.min(...newest))).toBe(true);
    // No value in clear in any bundle.
    for (const e of await listBundles(dir)) expect(readFileSync(e.file, "utf8")).not.toMatch(/canary/);

    await rt.manager("acme").set("API_KEY", "changed-after-the-backup");
    const drill = await backupDrill(rt, { tenant: "acme", dir });
    expect(drill).toMatchObject({ tenant: "acme", file: acme[0]?.file, secrets: 2, versionsVerified: 3, live: { same: 1, changedSince: 1, goneSince: 0 } });
    expect((await readDrills(dataDir)).map((d) => [d.tenant, d.kind])).toEqual([["acme", "restore"]]);
    const log = readFileSync(join(dataDir, "audit.log"), "utf8");
    expect(log).not.toMatch(/canary/);
    expect(log).toContain('"action":"backup.drill"');
  });

  it("a tampered bundle is refused by the drill, and nothing is recorded as drilled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-bk-dir-"));
    const { rt, dataDir } = await installation({ schedule: "0 3 * * *", dir, keep: 3 });
    await jobRunner(rt).runDue();
    const [bundle] = await listBundles(dir, "acme");
    const bytes = readFileSync(bundle?.file as string);
    bytes[200] = (bytes[200] as number) ^ 1;
    writeFileSync(bundle?.file as string, bytes);
    const err = await backupDrill(rt, { tenant: "acme", dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toBe("backup bundle signature does not verify: the bundle was altered or truncated");
    expect(await readDrills(dataDir)).toEqual([]);
  });

  it("a secret whose stored bytes are not an envelope fails the run (CHECK_FAILED) and prunes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-bk-dir-"));
    const { rt } = await installation({ schedule: "every 1s", dir, keep: 1, tenants: ["acme"] });
    const runner = jobRunner(rt);
    expect((await runner.runDue())[0]?.status).toBe("done");
    const before = await listBundles(dir, "acme");
    // Plain bytes written straight to the store (not through Polyvault's envelope).
    await rt.provider("local").put(parseTenantId("acme"), "PLAIN", Buffer.from("not an envelope"), { metadata: {} });
    const [run] = await runner.runDue({ force: true });
    expect(run).toMatchObject({
      status: "failed",
      error: {
        code: "CHECK_FAILED",
        message:
          "backups: 1 secret(s) were left out because their stored bytes are not Polyvault envelopes: acme (PLAIN); older bundles of those tenants were kept",
      },
    });
    const after = await listBundles(dir, "acme");
    expect(after).toHaveLength(2);
    expect(after.map((e) => e.file)).toContain(before[0]?.file);
  });

  it("a backups.dir that is a file fails the run with the exact error, writes nothing and prunes nothing", async () => {
    const parent = mkdtempSync(join(tmpdir(), "pv-bk-dir-"));
    const file = join(parent, "not-a-dir");
    writeFileSync(file, "x");
    const { rt } = await installation({ schedule: "every 1h", dir: file, keep: 1 });
    const [run] = await jobRunner(rt).runDue();
    expect(run).toMatchObject({
      status: "failed",
      error: { code: "INVALID_INPUT", message: `backups.dir: ${file} is not a directory (or holds a file named acme)` },
    });
    expect(readdirSync(parent)).toEqual(["not-a-dir"]);
    await expect(backupDrill(rt, { tenant: "acme", dir: parent })).rejects.toThrow(`no bundle of tenant acme in ${parent}`);
  });
});

describe("keys and backups configuration", () => {
  const fails = (yaml: string) => {
    try {
      parseConfig(`providers: { local: { type: file } }\n${yaml}`, "polyvault.yaml", {});
    } catch (err) {
      return (err as Error).message.replace("polyvault.yaml is not a valid configuration:\n  ", "");
    }
    throw new Error("accepted");
  };
  it("names each bad value exactly", () => {
    expect(fails("backups: { schedule: '0 3 * * *', dir: b, keep: 0 }")).toBe("backups.keep: backups.keep must be a whole number of at least 1");
    expect(fails("backups: { schedule: '0 3 * * *', dir: b, keep: -2 }")).toBe("backups.keep: backups.keep must be a whole number of at least 1");
    expect(fails("backups: { schedule: '0 3 * * *', dir: b, keep: 1.5 }")).toBe("backups.keep: backups.keep must be a whole number of at least 1");
    expect(fails("backups: { schedule: '0 3 * * *', dir: '', keep: 1 }")).toBe("backups.dir: backups.dir must not be empty");
    expect(fails("backups: { schedule: 'every day', dir: b, keep: 1 }")).toBe(
      'backups.schedule: "day" is not a duration (a whole number and s, m, h or d: 90d, 12h, 30m, 1s)',
    );
    expect(fails("backups: { schedule: 'at noon', dir: b, keep: 1 }")).toMatch(
      /^backups.schedule: "at noon" is neither a cron pattern \(.+\) nor "every <n><s\|m\|h\|d>"/,
    );
    expect(fails("backups: { dir: b, keep: 1 }")).toBe('backups.schedule: backups.schedule must be a cron pattern or "every <n><s|m|h|d>"');
    expect(fails("audit: { export: { schedule: 'every fortnight', dir: x } }")).toBe(
      'audit.export.schedule: "fortnight" is not a duration (a whole number and s, m, h or d: 90d, 12h, 30m, 1s)',
    );
    expect(fails("keys: { rotateEvery: 90 days }")).toBe(
      "keys.rotateEvery: keys.rotateEvery must be a duration: a whole number and s, m, h or d (90d, 12h, 1s)",
    );
    expect(fails("keys: { rotateEvery: 0d }")).toBe("keys.rotateEvery: keys.rotateEvery must be a duration: a whole number and s, m, h or d (90d, 12h, 1s)");
    expect(fails("keys: { rotateEvery: 90d, rewrapPerSecond: 0 }")).toBe("keys.rewrapPerSecond: keys.rewrapPerSecond must be more than 0");
    expect(fails("keys: { rotateEvery: 90d, every: 1 }")).toMatch(/^keys: Unrecognized key: "every"/);
  });
});
