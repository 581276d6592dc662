/**
 * The rate limit's counts shared between the workers of `serve --workers N` (cluster/rate-share.ts), two
 * workers' counters wired to each other as the primary relays them: a key's count is the gateway's, the
 * window is the clock's, and what another worker sends that is not a count is ignored.
 */
import { describe, expect, it } from "vitest";
import { MAX_KEYS, SharedCounts } from "../src/cluster/rate-share.js";
import type { ToPrimary } from "../src/cluster/messages.js";

function pair(clock: { t: number }) {
  const sent: ToPrimary[] = [];
  const a = new SharedCounts(
    60_000,
    (m) => sent.push(m),
    () => clock.t,
  );
  const b = new SharedCounts(
    60_000,
    (m) => sent.push(m),
    () => clock.t,
  );
  /** What the primary does: each worker's message to the other. */
  const relay = () => {
    a.flush();
    const fromA = sent.splice(0);
    b.flush();
    const fromB = sent.splice(0);
    for (const m of fromA) if (m.type === "pv:rl") b.receive(m.window, m.counts);
    for (const m of fromB) if (m.type === "pv:rl") a.receive(m.window, m.counts);
  };
  return { a, b, relay };
}

describe("shared rate-limit counts", () => {
  it("counts a key over both workers once their counts are relayed; the ttl is the window's end", () => {
    const clock = { t: 60_000 * 100 + 15_000 };
    const { a, b, relay } = pair(clock);
    for (let i = 0; i < 5; i++) a.incr("t:abc");
    for (let i = 0; i < 3; i++) b.incr("t:abc");
    expect(a.read("t:abc")).toEqual({ current: 5, ttl: 45_000 }); // not yet relayed
    relay();
    expect(a.read("t:abc").current).toBe(8);
    expect(b.incr("t:abc")).toEqual({ current: 9, ttl: 45_000 });
    expect(a.read("t:other").current).toBe(0);
    relay();
    relay(); // nothing new: nothing counted twice
    expect(a.read("t:abc").current).toBe(9);
    expect(b.read("t:abc").current).toBe(9);
  });

  it("starts every key over in the next window, and drops counts sent for an earlier one", () => {
    const clock = { t: 60_000 * 100 + 59_000 };
    const { a, b, relay } = pair(clock);
    a.incr("ip:10.0.0.1");
    a.flush(); // sent in window 100 …
    clock.t += 2_000; // … window 101 now
    expect(b.incr("ip:10.0.0.1")).toEqual({ current: 1, ttl: 59_000 });
    b.receive(100, [["ip:10.0.0.1", 1]]);
    expect(b.read("ip:10.0.0.1").current).toBe(1);
    relay();
    expect(a.read("ip:10.0.0.1").current).toBe(1); // a rolled to window 101 with b's count
  });

  it("ignores counts that are not whole positive numbers", () => {
    const clock = { t: 60_000 * 7 };
    const { a } = pair(clock);
    a.incr("k");
    a.receive(7, [
      ["k", -5],
      ["k", 1.5],
      ["k", Number.NaN],
      ["k", 0],
      [42 as unknown as string, 3],
    ]);
    expect(a.read("k").current).toBe(1);
  });

  it("a flood of fresh keys pushes out the keys counted least recently, never one still in use", () => {
    const clock = { t: 60_000 * 9 };
    const { a, b, relay } = pair(clock);
    for (let i = 0; i < 30; i++) a.incr("t:busy"); // over a limit of, say, 20
    b.incr("t:busy");
    relay();
    a.incr("ip:idle");
    for (let i = 0; i < MAX_KEYS + 5; i++) {
      a.incr(`ip:flood-${i}`);
      b.incr(`ip:flood-${i}`);
      if (i % 1000 === 0) {
        a.incr("t:busy"); // still sending while the flood goes on
        relay();
      }
    }
    relay();
    const busy = 30 + 1 + Math.ceil((MAX_KEYS + 5) / 1000);
    expect(a.read("t:busy").current).toBe(busy);
    expect(b.read("t:busy").current).toBe(busy);
    expect(a.read("ip:idle").current).toBe(0); // counted once, long ago: the first to go
    expect(a.read(`ip:flood-${MAX_KEYS + 4}`).current).toBe(2);
  });
});
