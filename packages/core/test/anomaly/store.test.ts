/** The baseline file: MAC'd round trip, every kind of damage refused, and a merge that loses nothing. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASELINE_FILE, BaselineFile, type BaselineState, baselineKeys } from "../../src/index.js";
import { mergeState, toJson } from "../../src/anomaly/baseline.js";
import { tempDir } from "../audit/helpers.js";
import { Clock, HOUR, detector } from "./clock.js";

function learntState(tenants: string[], clock = new Clock()): BaselineState {
  const { d } = detector({}, clock);
  for (const t of tenants) {
    d.observe({ principal: "app", tenant: t, name: "DATABASE_URL", denied: false });
    clock.advance(HOUR);
  }
  return d.state;
}

describe("BaselineFile", () => {
  it("reads back what it wrote, and refuses a flipped byte, another key, and what is not JSON", () => {
    const dir = tempDir("pv-anomaly-store-");
    const file = new BaselineFile(dir, baselineKeys(dir));
    expect(file.read()).toEqual({ status: "missing" });
    const state = learntState(["acme", "globex"]);
    file.write(state);
    const back = file.read();
    expect(back.status).toBe("ok");
    expect(back.status === "ok" && JSON.stringify(toJson(back.state))).toBe(JSON.stringify(toJson(state)));

    const text = readFileSync(join(dir, BASELINE_FILE), "utf8");
    writeFileSync(join(dir, BASELINE_FILE), text.replace('"peakRate":1', '"peakRate":9'));
    expect(file.read()).toEqual({ status: "rejected", reason: "fails its MAC (edited, or written without the audit key)" });

    writeFileSync(join(dir, BASELINE_FILE), text);
    const other = new BaselineFile(dir, baselineKeys(tempDir("pv-anomaly-other-")));
    expect(other.read()).toEqual({ status: "rejected", reason: "fails its MAC (edited, or written without the audit key)" });

    writeFileSync(join(dir, BASELINE_FILE), text.slice(0, 40));
    expect(file.read()).toEqual({ status: "rejected", reason: "is not JSON" });
    writeFileSync(join(dir, BASELINE_FILE), '{"v":1,"mac":"x"}');
    expect(file.read()).toEqual({ status: "rejected", reason: "does not have the baseline's shape" });
  });
});

describe("mergeState", () => {
  it("is a join: nothing either side learnt is lost, merging twice changes nothing", () => {
    const a = learntState(["acme", "globex"]);
    const b = learntState(["initech"], new Clock(Date.UTC(2026, 10, 1)));
    const ab = mergeState(a, b);
    expect(Object.keys(ab.principals.app?.tenants ?? {}).sort()).toEqual(["acme", "globex", "initech"]);
    expect(ab.createdAt).toBe(Math.min(a.createdAt, b.createdAt));
    expect(ab.principals.app?.recent.size).toBe(2); // DATABASE_URL in globex (a's last), in initech (b's)
    const json = (s: BaselineState) => JSON.stringify(toJson(s));
    expect(json(mergeState(ab, b))).toBe(json(ab));
    expect(json(mergeState(ab, ab))).toBe(json(ab));
  });

  it("keeps a run of denials at the same millisecond, and orders names by last seen", () => {
    const a = learntState(["acme"]);
    const b = learntState(["acme"]);
    const pa = a.principals.app as NonNullable<(typeof a.principals)["app"]>;
    const pb = b.principals.app as NonNullable<(typeof b.principals)["app"]>;
    pa.lastAllowed = 0;
    pb.lastAllowed = 0;
    pa.denied = { w1: [5, 5, 5] };
    pb.denied = { w1: [5], w2: [6] };
    pa.recent = new Map([
      ["x", 10],
      ["y", 20],
    ]);
    pb.recent = new Map([
      ["y", 5],
      ["x", 30],
      ["z", 25],
    ]);
    const m = mergeState(a, b).principals.app;
    expect(m?.denied).toEqual({ w1: [5, 5, 5], w2: [6] });
    expect([...(m?.recent ?? [])]).toEqual([
      ["y", 20],
      ["z", 25],
      ["x", 30],
    ]);
  });
});
