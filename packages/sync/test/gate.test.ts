import { UnavailableError } from "@polyvault/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProviderGate } from "../src/apply/gate.js";

/** Start times (by the fake clock) of `n` calls through the gate, all queued at once. */
async function starts(gate: ProviderGate, n: number): Promise<number[]> {
  const t: number[] = [];
  const all = Promise.all(Array.from({ length: n }, () => gate.run(async () => void t.push(Date.now()))));
  await vi.runAllTimersAsync();
  await all;
  return t;
}

/** Milliseconds from the i-th start to the j-th. */
const span = (t: number[], i: number, j: number) => (t[j] ?? Number.NaN) - (t[i] ?? Number.NaN);

/** The most starts within any window of `ms` (half-open, sliding). */
function busiest(t: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while ((t[i] ?? 0) - (t[j] ?? 0) >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("ProviderGate rate budget", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds calls to the budget at its full rate: 50/s with burst 1 is one start per 20 ms, 50 in any second", async () => {
    const gate = new ProviderGate("p", { perSecond: 50, burst: 1, concurrency: 16 });
    const t = await starts(gate, 151);
    expect(span(t, 0, 150)).toBe(3000);
    expect(busiest(t, 1000)).toBe(50);
    expect(gate.rateWaits).toBe(150);
  });

  it("admits a whole burst at once, then holds the rest to the budget", async () => {
    const gate = new ProviderGate("p", { perSecond: 20, burst: 5 });
    const t = await starts(gate, 10);
    // The first five start without waiting; the other five wait for the 250 ms window (5 / 20 per second).
    expect(span(t, 0, 4)).toBe(0);
    expect(span(t, 0, 5)).toBe(250);
    expect(gate.rateWaits).toBe(5);
    expect(busiest(t, 250)).toBe(5);
  });

  it("with the default burst (perSecond rounded up), never more than perSecond in any second", async () => {
    const gate = new ProviderGate("p", { perSecond: 10 });
    const t = await starts(gate, 45);
    expect(busiest(t, 1000)).toBe(10);
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
    const mark = async () => {
      called = true;
    };
    await expect(gate.run(mark)).rejects.toThrow("provider p is unavailable (circuit breaker open after repeated failures)");
    expect(called).toBe(false);
    expect(gate.breakerState).toBe("open");
  });
});
