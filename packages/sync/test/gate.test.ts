import { UnavailableError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { ProviderGate } from "../src/apply/gate.js";

/** Start times of `n` calls through the gate, all queued at once. */
async function starts(gate: ProviderGate, n: number): Promise<number[]> {
  const t: number[] = [];
  await Promise.all(Array.from({ length: n }, () => gate.run(async () => void t.push(performance.now()))));
  return t;
}

describe("ProviderGate rate budget", () => {
  it("never starts calls faster than the budget: n calls at 50/s with burst 1 take at least (n-1)/50 s", async () => {
    const gate = new ProviderGate("p", { perSecond: 50, burst: 1, concurrency: 16 });
    const t = await starts(gate, 26);
    // Load can only make the calls later, never earlier, so this lower bound holds on any machine.
    expect(t.at(-1)! - t[0]!).toBeGreaterThanOrEqual(25 * 20 - 2);
    expect(gate.rateWaits).toBeGreaterThan(0);
  });

  it("admits a whole burst at once, then holds the rest to the budget", async () => {
    const gate = new ProviderGate("p", { perSecond: 20, burst: 5 });
    const t = await starts(gate, 10);
    // The first five start without waiting; the other five wait, the sixth for the 250 ms window (5 / 20 per second).
    expect(gate.rateWaits).toBe(5);
    expect(t[5]! - t[0]!).toBeGreaterThanOrEqual(248);
  });

  it("without a budget no call waits", async () => {
    const gate = new ProviderGate("p", {});
    await starts(gate, 50);
    expect(gate.rateWaits).toBe(0);
  });

  it("fails fast with UnavailableError once the breaker is open", async () => {
    const gate = new ProviderGate("p", { failureThreshold: 2, halfOpenAfterMs: 60_000 });
    const boom = () => Promise.reject(new UnavailableError("down", { provider: "p" }));
    for (let i = 0; i < 2; i++) await expect(gate.run(boom)).rejects.toThrow("down");
    let called = false;
    await expect(gate.run(async () => void (called = true))).rejects.toThrow("provider p is unavailable (circuit breaker open after repeated failures)");
    expect(called).toBe(false);
    expect(gate.breakerState).toBe("open");
  });
});
