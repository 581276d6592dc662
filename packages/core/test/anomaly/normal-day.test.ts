/**
 * Quiet under normal traffic: a week of generated, realistic traffic (normal-traffic.ts) is learnt with
 * the default thresholds, then three more normal days are replayed and not one alert is raised. The same
 * replay with an attack mixed in does alert, so the quiet is the detector's judgement, not deafness.
 */
import { describe, expect, it } from "vitest";
import { Alerts, type AnomalyFinding, AnomalyMonitor } from "../../src/index.js";
import { tempDir } from "../audit/helpers.js";
import { Clock, DAY, T0, detector } from "./clock.js";
import { type Access, normalDay } from "./normal-traffic.js";

function replay(days: Access[][]): { findings: AnomalyFinding[]; learntUntil: number; reads: number } {
  const clock = new Clock(T0);
  const { d } = detector({}, clock);
  const findings: AnomalyFinding[] = [];
  let reads = 0;
  for (const day of days)
    for (const a of day) {
      clock.t = a.t;
      reads++;
      findings.push(...d.observe({ principal: a.principal, tenant: a.tenant, name: a.name, denied: a.denied }));
    }
  return { findings, learntUntil: d.learningEnds.getTime(), reads };
}

const week = Array.from({ length: 7 }, (_, day) => normalDay(day));
const after = [7, 8, 9].map((day) => normalDay(day));

describe("a normal day", () => {
  it("raises no alert after a week of learning (three days replayed, every principal)", () => {
    const { findings, learntUntil, reads } = replay([...week, ...after]);
    expect(learntUntil).toBe(T0 + 7 * DAY);
    expect(reads).toBeGreaterThan(20_000);
    expect(new Set(after.flat().map((a) => a.principal))).toEqual(new Set(["web-app", "ci", "alice", "backup", "rotator"]));
    expect(findings).toEqual([]);
  });

  it("the same replay with an attack mixed in does alert: a sweep, a burst, a new tenant and a run of denials", () => {
    const start = T0 + 8 * DAY + 15 * 3_600_000;
    const attack: Access[] = [
      ...Array.from({ length: 100 }, (_, i) => ({ t: start + i * 3_000, principal: "ci", tenant: "acme", name: `payments/key-${i}`, denied: false })),
      ...Array.from({ length: 300 }, (_, i) => ({ t: start + 3_600_000 + i * 150, principal: "web-app", tenant: "acme", name: "DATABASE_URL", denied: false })),
      { t: start + 7_200_000, principal: "alice", tenant: "umbrella", name: "DATABASE_URL", denied: false },
      ...Array.from({ length: 5 }, (_, i) => ({ t: start + 7_300_000 + i * 1_000, principal: "rotator", tenant: "globex", name: `x${i}`, denied: true })),
    ];
    const day8 = [...(after[1] as Access[]), ...attack].sort((a, b) => a.t - b.t);
    const { findings } = replay([...week, after[0] as Access[], day8]);
    expect(findings.map((f) => `${f.rule}:${f.principal}`).sort()).toEqual(["burst:web-app", "denials:rotator", "new-tenant:alice", "sweep:ci"]);
  });

  it("stays quiet across restarts: a new process each day, the baseline carried by the data dir's file", async () => {
    const dir = tempDir("pv-anomaly-days-");
    const clock = new Clock(T0);
    const findings: AnomalyFinding[] = [];
    const records: string[] = [];
    for (const day of [...week, ...after]) {
      const monitor = new AnomalyMonitor({
        dataDir: dir,
        options: {},
        alerts: Alerts.disabled(),
        record: async (r) => void records.push(r.action),
        now: () => new Date(clock.t),
      });
      for (const a of day) {
        clock.t = a.t;
        findings.push(...monitor.observe({ principal: a.principal, tenant: a.tenant, name: a.name, denied: a.denied }));
      }
      await monitor.close();
    }
    expect(records).toEqual(["anomaly.baseline-reset"]); // the first start, and nothing after
    expect(findings).toEqual([]);
    // Not quiet because each day started over: the learning period is over, and a new tenant alerts.
    clock.t = T0 + 10 * DAY + 11 * 3_600_000; // alice's usual hours
    const next = new AnomalyMonitor({ dataDir: dir, options: {}, alerts: Alerts.disabled(), record: async () => undefined, now: () => new Date(clock.t) });
    expect(next.observe({ principal: "alice", tenant: "umbrella", name: "DATABASE_URL", denied: false }).map((f) => f.rule)).toEqual(["new-tenant"]);
    await next.close();
  });
});
