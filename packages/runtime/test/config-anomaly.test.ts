/** `alerts.anomaly` in polyvault.yaml: thresholds as docs/anomaly-alerts.md gives them; bad ones refused with their path. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/index.js";

const base = 'alerts:\n  webhook: "https://hooks.example.com/pv"\n  anomaly:\n';
const fails = (text: string) => {
  try {
    parseConfig(text, "polyvault.yaml", {});
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("alerts.anomaly", () => {
  it("accepts every documented threshold", () => {
    const c = parseConfig(
      `${base}    learningHours: 72\n    newTenant: { enabled: false }\n    burst: { windowSeconds: 30, factor: 5, minRequests: 200 }\n    sweep: { windowSeconds: 900, factor: 3, minNames: 25 }\n    denials: { count: 4, windowSeconds: 120 }\n    offHours: { enabled: false }\n`,
      "polyvault.yaml",
      {},
    );
    expect(c.alerts?.anomaly).toEqual({
      learningHours: 72,
      newTenant: { enabled: false },
      burst: { windowSeconds: 30, factor: 5, minRequests: 200 },
      sweep: { windowSeconds: 900, factor: 3, minNames: 25 },
      denials: { count: 4, windowSeconds: 120 },
      offHours: { enabled: false },
    });
    expect(parseConfig(`${base}    {}\n`.replace("anomaly:\n    {}", "anomaly: {}"), "polyvault.yaml", {}).alerts?.anomaly).toEqual({});
  });

  it("refuses unknown keys and out-of-range thresholds with their path", () => {
    expect(fails(`${base}    burts: { factor: 2 }\n`)).toMatch(/alerts\.anomaly: Unrecognized key: "burts"/);
    expect(fails(`${base}    denials: { count: 0 }\n`)).toMatch(/alerts\.anomaly\.denials\.count: Too small: expected number to be >=1/);
    expect(fails(`${base}    burst: { minRequests: 5000 }\n`)).toMatch(/alerts\.anomaly\.burst\.minRequests: Too big: expected number to be <=4096/);
    expect(fails(`${base}    sweep: { factor: 0.5 }\n`)).toMatch(/alerts\.anomaly\.sweep\.factor: Too small/);
    expect(fails(`${base}    learningHours: -1\n`)).toMatch(/alerts\.anomaly\.learningHours: Too small/);
  });
});
