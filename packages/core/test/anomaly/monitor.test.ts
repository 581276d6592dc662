/**
 * The monitor wired into Security, as the CLI, the gateway and the library use it: the guard reports
 * every decision; a finding reaches a real webhook receiver (signed), the audit log and the counts; the
 * baseline lives in the data dir, is shared by successive processes (here: Security instances), and an
 * edited or deleted baseline is alerted, never trusted.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASELINE_FILE, type Operation, Security, parseTenantId, runSteps, tokenSha256, verifyAuditLog } from "../../src/index.js";
import { startReceiver } from "../alerts/receiver.js";
import { lines, tempDir } from "../audit/helpers.js";

const KEY = "hmac-key-anomaly-test";
const NAME = "ops/very-secret-name";
const access = {
  principals: {
    bob: { tokenSha256: tokenSha256("bob-token"), roles: [{ role: "reader" as const, tenants: ["acme"], secrets: ["db/*"] }] },
    root: { tokenSha256: tokenSha256("root-token"), roles: [{ role: "admin" as const, tenants: ["*"] }] },
  },
  lockout: { maxFailures: 50, windowSeconds: 300, lockSeconds: 60 },
};
const op = (tenant: string, name?: string): Operation => ({ tenant: parseTenantId(tenant), action: "read", name });

let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver(KEY);
});
afterAll(() => rx.close());

function security(dir: string, now: () => number, anomaly: object = {}, withAccess = true): Security {
  return new Security({
    dataDir: dir,
    env: { ALERT_KEY: KEY },
    ...(withAccess ? { access } : {}),
    alerts: { webhook: rx.url, secretEnv: "ALERT_KEY", anomaly },
    now: () => new Date(now()),
  });
}
const read = (sec: Security, principal: string, tenant: string, name?: string) =>
  runSteps(sec.steps(principal), op(tenant, name), async () => "ok").catch((e: Error) => e.name);
const records = (dir: string) =>
  lines(dir)
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "record" && String(e.action).startsWith("anomaly."));
const anomalyAlerts = () => rx.received.filter((r) => String(r.json.kind).startsWith("a") && r.json.kind !== "access.violations");

describe("AnomalyMonitor in Security", () => {
  it("a run of denials through the guard: a signed webhook alert, an audit record and a count, without the secret name", async () => {
    rx.received.length = 0;
    const dir = tempDir("pv-anomaly-");
    let now = Date.parse("2030-06-03T10:00:00Z");
    const sec = security(dir, () => now, { denials: { count: 3, windowSeconds: 60 } });
    expect(await read(sec, "bob", "acme", NAME)).toBe("AccessDeniedError");
    expect(await read(sec, "bob", "acme", NAME)).toBe("AccessDeniedError");
    await sec.anomaly?.idle();
    expect(records(dir)).toEqual([expect.objectContaining({ action: "anomaly.baseline-reset" })]);
    now += 1_000;
    expect(await read(sec, "bob", "acme", NAME)).toBe("AccessDeniedError");
    await sec.close();
    const [rec] = records(dir).filter((r) => r.action === "anomaly.denials");
    expect(rec).toMatchObject({ actor: "bob", action: "anomaly.denials", outcome: "alert", detail: "observed=3 threshold=3 baseline=0 windowSeconds=60" });
    expect(rec.name).toBeUndefined();
    const alert = rx.received.find((r) => r.json.kind === "access.anomaly");
    expect(alert?.signatureValid).toBe(true);
    expect(alert?.json).toMatchObject({ kind: "access.anomaly", rule: "denials", principal: "bob", observed: 3, threshold: 3, windowSeconds: 60 });
    expect(rx.received.map((r) => r.body).join("\n")).not.toContain("very-secret");
    expect(readFileSync(join(dir, BASELINE_FILE), "utf8")).not.toContain("very-secret");
    expect(sec.anomaly?.counts().get("denials")?.get("bob")).toBe(1);
    expect((await verifyAuditLog(dir)).ok).toBe(true);
  });

  it("the baseline outlives the process: a second one alerts on a new tenant, not on the tenant the first one learnt", async () => {
    rx.received.length = 0;
    const dir = tempDir("pv-anomaly-");
    let now = Date.parse("2030-06-03T10:00:00Z");
    const first = security(dir, () => now, { learningHours: 1 });
    expect(await read(first, "root", "acme", "db/url")).toBe("ok");
    await first.close();
    now += 3_660_000; // 11:01: past the learning hour, next to the hour learnt
    const second = security(dir, () => now, { learningHours: 1 });
    expect(await read(second, "root", "acme", "db/url")).toBe("ok");
    expect(await read(second, "root", "globex", "db/url")).toBe("ok");
    await second.close();
    expect(anomalyAlerts().map((r) => [r.json.kind, r.json.rule ?? r.json.reason])).toEqual([
      ["anomaly.baseline-reset", "no baseline file (first start, or it was deleted)"],
      ["access.anomaly", "new-tenant"],
    ]);
    expect(anomalyAlerts()[1]?.json).toMatchObject({ principal: "root", tenant: "globex", baseline: 1 });

    // Edited to silence the alert (globex and umbrella added as usual tenants): refused, alerted, and no learning period.
    rx.received.length = 0;
    const file = join(dir, BASELINE_FILE);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    doc.state.principals.root.tenants.umbrella = 0;
    writeFileSync(file, JSON.stringify(doc));
    now += 60_000;
    const third = security(dir, () => now, { learningHours: 1 });
    expect(await read(third, "root", "umbrella", "db/url")).toBe("ok");
    await third.close();
    expect(anomalyAlerts().map((r) => [r.json.kind, r.json.rule ?? r.json.reason])).toEqual([
      ["anomaly.baseline-reset", "the baseline file fails its MAC (edited, or written without the audit key)"],
      ["access.anomaly", "new-tenant"],
      ["access.anomaly", "off-hours"], // nothing is known any more, not even the usual hours
    ]);
    expect(JSON.parse(readFileSync(join(dir, "anomaly-baseline.rejected.json"), "utf8")).state.principals.root.tenants.umbrella).toBe(0);

    // Deleted while a process uses it: noticed on the next write.
    rx.received.length = 0;
    const fourth = security(dir, () => now, { learningHours: 1 });
    expect(await read(fourth, "root", "umbrella", "db/url")).toBe("ok");
    await fourth.anomaly?.idle();
    rmSync(file);
    expect(await read(fourth, "root", "umbrella", "db/url")).toBe("ok");
    await fourth.close();
    expect(anomalyAlerts().map((r) => r.json.reason)).toEqual(["the baseline file was deleted while in use"]);
    expect(records(dir).map((r) => r.action)).toContain("anomaly.baseline-reset");
    expect((await verifyAuditLog(dir)).ok).toBe(true);
  });

  it("two processes learning at once: the file keeps what both learnt", async () => {
    const dir = tempDir("pv-anomaly-");
    const now = Date.parse("2030-06-03T10:00:00Z");
    const a = security(dir, () => now);
    const b = security(dir, () => now);
    await read(a, "root", "acme", "db/a");
    await read(b, "root", "globex", "db/b");
    await read(b, "bob", "acme", "db/b");
    await Promise.all([a.close(), b.close()]);
    const state = JSON.parse(readFileSync(join(dir, BASELINE_FILE), "utf8")).state;
    expect(Object.keys(state.principals.root.tenants).sort()).toEqual(["acme", "globex"]);
    expect(Object.keys(state.principals.bob.tenants)).toEqual(["acme"]);
  });

  it("without access control, the SecretManager's steps report each operation under the local actor", async () => {
    rx.received.length = 0;
    const dir = tempDir("pv-anomaly-");
    let now = Date.parse("2030-06-03T10:00:00Z");
    const sec = security(dir, () => now, { learningHours: 0, sweep: { minNames: 5, windowSeconds: 60 } }, false);
    const steps = sec.steps(undefined, "ops-script");
    for (let i = 1; i <= 5; i++) {
      await runSteps(steps, op("acme", `db/n${i}`), async () => "ok");
      now += 1_000;
    }
    await sec.close();
    const sweep = anomalyAlerts().find((r) => r.json.rule === "sweep");
    expect(sweep?.json).toMatchObject({ principal: "ops-script", observed: 5, threshold: 5 });
  });
});
