/**
 * Scheduled key rotation (issue 13.1), with a 1-second period and two runtimes ("gateways") sharing one
 * data directory and state store: keys rotate on schedule, once per period across both; every secret
 * stays readable from both throughout; old key versions drain to 0 stored secrets; keys status says
 * when the next rotation is due.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type JobRun, Runtime, jobRunner, keysStatus } from "../../src/index.js";

const opened: Runtime[] = [];
afterEach(async () => {
  for (const rt of opened.splice(0).reverse()) await rt.close();
});

const config = {
  providers: { local: { type: "file" as const }, mirror: { type: "file" as const, dir: "mirror-store" } },
  tenants: { acme: { primary: "local", mirrors: ["mirror"] }, globex: { primary: "local" } },
  routes: { m: { source: "local", targets: ["mirror"], tenants: ["acme"] } },
  keys: { rotateEvery: "1s", rewrapPerSecond: 1000 },
};

async function gateway(dataDir: string, key: string): Promise<Runtime> {
  const rt = await Runtime.open({
    dataDir,
    config: { ...config, providers: { ...config.providers, mirror: { type: "file", dir: join(dataDir, "mirror") } } },
    env: { POLYVAULT_MASTER_KEY: key },
  });
  opened.push(rt);
  return rt;
}

const VALUES = Object.fromEntries(
  ["acme", "globex"].flatMap((t) => Array.from({ length: 4 }, (_, i) => [`${t}/S_${i}`, `${t}-value-${i}-${randomBytes(4).toString("hex")}`])),
);

async function readAll(rt: Runtime): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of Object.keys(VALUES)) {
    const [tenant, name] = id.split("/") as [string, string];
    const v = await rt.manager(tenant).get(name);
    out[id] = v.text();
    v.wipe();
  }
  return out;
}

describe("keys.rotate on a schedule (rotateEvery: 1s)", () => {
  it("rotates once per period across two gateways; everything stays readable; old versions drain to 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-keyrot-"));
    const key = randomBytes(32).toString("base64");
    const [a, b] = [await gateway(dataDir, key), await gateway(dataDir, key)];
    for (const [id, value] of Object.entries(VALUES)) {
      const [tenant, name] = id.split("/") as [string, string];
      await a.manager(tenant).set(name, value);
    }
    await a.flushPushes();
    const rotations: JobRun[] = [];
    let enough: () => void = () => undefined;
    const three = new Promise<void>((r) => {
      enough = r;
    });
    const failures: string[] = [];
    let stop = false;
    const onRun = (r: JobRun) => {
      if (r.status === "failed" && !stop) failures.push(r.message);
      if (r.status === "done" && r.counts?.rotated === 1) rotations.push(r);
      if (rotations.length >= 3) enough();
    };
    const runners = [jobRunner(a, { onRun }).start(), jobRunner(b, { onRun }).start()];
    // Readers on both gateways for as long as the schedulers run: every read must succeed and be right.
    const reads = [a, b].map(async (rt) => {
      let rounds = 0;
      while (!stop) {
        expect(await readAll(rt)).toEqual(VALUES);
        rounds++;
      }
      return rounds;
    });
    await three;
    stop = true;
    expect(Math.min(...(await Promise.all(reads)))).toBeGreaterThan(0);
    for (const r of runners) await r.stop();
    expect(failures).toEqual([]);
    // Whatever the last run left (stopped mid-rewrap, or a rotation since), one more run finishes it.
    await runners[0]?.runDue({ force: true });

    const versions = a.keyring.versions();
    // Once per period: each key version is at least one period younger than the one before.
    const created = versions.map((v) => v.createdAt.getTime());
    for (const [i, t] of created.entries()) if (i > 0) expect(t - (created[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    expect(versions.length).toBeGreaterThanOrEqual(4);
    const status = await keysStatus(a);
    expect(status.unreadable).toEqual([]);
    for (const v of status.versions) expect([v.version, v.protects]).toEqual([v.version, v.current ? v.protects : 0]);
    expect(status.versions.find((v) => v.current)?.protects).toBeGreaterThan(0);
    expect(status.rotation?.every).toBe("1s");
    expect(status.rotation?.nextDue.getTime()).toBe((created.at(-1) as number) + 1000);
    expect(await readAll(b)).toEqual(VALUES);
    // Each rotation is audited (in the log of the gateway that made it), as keys.rotate and job.run.
    const log = ["audit.log"].flatMap((f) => readFileSync(join(dataDir, f), "utf8").trimEnd().split("\n"));
    const rotates = log.map((l) => JSON.parse(l) as Record<string, string>).filter((r) => r.action === "keys.rotate" && r.outcome === "ok");
    expect(rotates.length).toBe(versions.length - 1);
    expect(log.join("\n")).not.toContain(VALUES["acme/S_0"]);
  });

  it("is not configured without keys.rotateEvery", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-keyrot-"));
    const rt = await Runtime.open({
      dataDir,
      config: { providers: { local: { type: "file" } } },
      env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") },
    });
    opened.push(rt);
    expect(jobRunner(rt).jobs).toEqual([]);
    expect((await keysStatus(rt)).rotation).toBeUndefined();
  });
});
