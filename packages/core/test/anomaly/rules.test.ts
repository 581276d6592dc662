/**
 * Each rule fires at its documented threshold and not one request below it, on a hand-moved clock.
 * Defaults (docs/anomaly-alerts.md): burst 120 requests / 60 s (or 10 × the busiest earlier minute),
 * sweep 40 names / 600 s (or 4 × the most names of an earlier window), denials 5 in a row / 600 s.
 */
import { describe, expect, it } from "vitest";
import { ANOMALY_DEFAULTS, namePrefix } from "../../src/index.js";
import { DAY, HOUR, detector, learnt, rules } from "./clock.js";

describe("burst", () => {
  it("fires on the 120th request within 60 s, not the 119th, and once per window", () => {
    const { d, clock } = learnt();
    expect(ANOMALY_DEFAULTS.burst).toEqual({ windowSeconds: 60, factor: 10, minRequests: 120 });
    for (let i = 1; i <= 119; i++) {
      expect(rules(d.observe({ principal: "app", tenant: "acme", name: "DATABASE_URL", denied: false }))).toEqual([]);
      clock.advance(400); // 119 requests in 47.6 s
    }
    const f = d.observe({ principal: "app", tenant: "acme", name: "DATABASE_URL", denied: false });
    expect(f).toEqual([{ rule: "burst", principal: "app", observed: 120, threshold: 120, baseline: 1, windowSeconds: 60 }]);
    expect(rules(d.observe({ principal: "app", tenant: "acme", name: "DATABASE_URL", denied: false }))).toEqual([]);
  });

  it("scales with the principal's busiest earlier window, which an alerting window does not raise", () => {
    const { d, clock } = learnt({ burst: { windowSeconds: 60, factor: 3, minRequests: 10 } });
    clock.t -= clock.t % 60_000; // the start of a window
    for (let i = 0; i < 8; i++) d.observe({ principal: "app", tenant: "acme", name: "A", denied: false }); // a busy minute: 8
    clock.advance(60_000);
    d.observe({ principal: "app", tenant: "acme", name: "A", denied: false }); // folds 8 into the peak
    clock.advance(120_000);
    // Threshold now max(10, 3 × 8) = 24.
    const seen: string[][] = [];
    for (let i = 1; i <= 24; i++) seen.push(rules(d.observe({ principal: "app", tenant: "acme", name: "A", denied: false })));
    expect(seen.slice(0, 23).flat()).toEqual([]);
    expect(seen[23]).toEqual(["burst"]);
    clock.advance(5 * 60_000);
    d.observe({ principal: "app", tenant: "acme", name: "A", denied: false });
    // The alerting minute was not learnt: the bar is still 24, not 3 × 24.
    const again: string[] = [];
    for (let i = 2; i <= 24; i++) again.push(...rules(d.observe({ principal: "app", tenant: "acme", name: "A", denied: false })));
    expect(again).toEqual(["burst"]);
  });
});

describe("sweep", () => {
  it("fires on the 40th distinct name within 600 s, not the 39th; repeats of a name do not count", () => {
    const { d, clock } = learnt();
    for (let i = 1; i <= 39; i++) {
      expect(rules(d.observe({ principal: "app", tenant: "acme", name: `svc/key-${i}`, denied: false }))).toEqual([]);
      expect(rules(d.observe({ principal: "app", tenant: "acme", name: `svc/key-${i}`, denied: false }))).toEqual([]);
      clock.advance(7_000); // 78 requests over 273 s: below the burst bar too
    }
    const f = d.observe({ principal: "app", tenant: "acme", name: "svc/key-40", denied: false });
    expect(f).toEqual([{ rule: "sweep", principal: "app", observed: 40, threshold: 40, baseline: 1, windowSeconds: 600, newPrefixes: 1 }]);
  });

  it("names spread beyond the window do not add up", () => {
    const { d, clock } = learnt();
    const all: string[] = [];
    for (let i = 1; i <= 200; i++) {
      all.push(...rules(d.observe({ principal: "app", tenant: "acme", name: `n${i}`, denied: false })));
      clock.advance(16_000); // 37 or 38 names per 600 s
    }
    expect(all).toEqual([]);
  });
});

describe("denials", () => {
  it("fires on the 5th denial in a row, also during the learning period; an allowed request breaks the run", () => {
    const { d } = detector();
    expect(d.learning()).toBe(true);
    const deny = () => rules(d.observe({ principal: "bob", tenant: "acme", name: "x", denied: true }));
    for (let i = 0; i < 4; i++) expect(deny()).toEqual([]);
    d.observe({ principal: "bob", tenant: "acme", name: "y", denied: false });
    for (let i = 0; i < 4; i++) expect(deny()).toEqual([]);
    const f = d.observe({ principal: "bob", tenant: "acme", name: "x", denied: true });
    expect(f).toEqual([{ rule: "denials", principal: "bob", observed: 5, threshold: 5, baseline: 0, windowSeconds: 600 }]);
  });

  it("denials older than the window do not count", () => {
    const { d, clock } = detector({ denials: { count: 3, windowSeconds: 60 } });
    d.observe({ principal: "bob", tenant: "acme", denied: true });
    d.observe({ principal: "bob", tenant: "acme", denied: true });
    clock.advance(60_000);
    expect(rules(d.observe({ principal: "bob", tenant: "acme", denied: true }))).toEqual([]);
    expect(rules(d.observe({ principal: "bob", tenant: "acme", denied: true }))).toEqual([]);
    expect(rules(d.observe({ principal: "bob", tenant: "acme", denied: true }))).toEqual(["denials"]);
  });
});

describe("new tenant", () => {
  it("fires once on the first allowed access to a tenant outside the baseline; not during learning; not for a denial", () => {
    const { d, clock } = detector({ learningHours: 1 });
    expect(rules(d.observe({ principal: "app", tenant: "acme", denied: false }))).toEqual([]);
    expect(rules(d.observe({ principal: "app", tenant: "initech", denied: false }))).toEqual([]); // learning
    clock.advance(HOUR);
    expect(rules(d.observe({ principal: "app", tenant: "acme", denied: false }))).toEqual([]);
    expect(rules(d.observe({ principal: "app", tenant: "initech", denied: false }))).toEqual([]);
    expect(rules(d.observe({ principal: "app", tenant: "globex", denied: true }))).toEqual([]);
    const f = d.observe({ principal: "app", tenant: "globex", denied: false });
    expect(f).toEqual([{ rule: "new-tenant", principal: "app", tenant: "globex", observed: 1, threshold: 1, baseline: 2 }]);
    expect(rules(d.observe({ principal: "app", tenant: "globex", denied: false }))).toEqual([]);
  });

  it("a tenant or principal named like an Object member is itself (constructor, __proto__)", () => {
    const { d, clock } = detector({ learningHours: 1 });
    d.observe({ principal: "constructor", tenant: "acme", denied: false });
    d.observe({ principal: "__proto__", tenant: "acme", denied: false });
    clock.advance(HOUR);
    expect(rules(d.observe({ principal: "constructor", tenant: "constructor", denied: false }))).toEqual(["new-tenant"]);
    expect(rules(d.observe({ principal: "__proto__", tenant: "tostring", denied: false }))).toEqual(["new-tenant"]);
    expect(rules(d.observe({ principal: "__proto__", tenant: "acme", denied: false }))).toEqual([]);
    expect(Object.keys(d.state.principals).sort()).toEqual(["__proto__", "constructor"]);
  });

  it("can be turned off", () => {
    const { d, clock } = detector({ learningHours: 1, newTenant: { enabled: false } });
    d.observe({ principal: "app", tenant: "acme", denied: false });
    clock.advance(HOUR);
    expect(rules(d.observe({ principal: "app", tenant: "globex", denied: false }))).toEqual([]);
  });
});

describe("off-hours", () => {
  it("fires on an access at an hour never seen within ± 1 hour, once an hour, then learns the hour", () => {
    const { d, clock } = detector({ learningHours: 72 });
    for (let day = 0; day < 3; day++)
      for (const h of [9, 12, 17]) {
        clock.t = Date.UTC(2026, 10, 2 + day, h, 15);
        d.observe({ principal: "alice", tenant: "acme", denied: false });
      }
    clock.t = Date.UTC(2026, 10, 5, 18, 50); // 18h: next to 17h, usual
    expect(rules(d.observe({ principal: "alice", tenant: "acme", denied: false }))).toEqual([]);
    clock.t = Date.UTC(2026, 10, 5, 20, 5); // 20h: 19-21 never seen (18h was seen just now, 2 hours off)
    expect(d.observe({ principal: "alice", tenant: "acme", denied: false })).toEqual([
      { rule: "off-hours", principal: "alice", observed: 1, threshold: 1, baseline: 0, hour: 20 },
    ]);
    clock.advance(10 * 60_000);
    expect(rules(d.observe({ principal: "alice", tenant: "acme", denied: false }))).toEqual([]);
    clock.t += DAY;
    expect(rules(d.observe({ principal: "alice", tenant: "acme", denied: false }))).toEqual([]);
  });
});

describe("name prefixes", () => {
  it("groups a name by its first path segment, else its first word", () => {
    expect(namePrefix("db/url")).toBe("db/");
    expect(namePrefix("a/b/c")).toBe("a/");
    expect(namePrefix("DATABASE_URL")).toBe("DATABASE_");
    expect(namePrefix("stripe.key")).toBe("stripe.");
    expect(namePrefix("_hidden")).toBe("_hidden");
    expect(namePrefix("TOKEN")).toBe("TOKEN");
  });
});
