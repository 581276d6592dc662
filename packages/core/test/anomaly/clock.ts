/** A detector on a hand-moved clock (no wall-clock time anywhere), for the rule tests. */
import { type AnomalyOptions, AnomalyDetector, type AnomalyFinding, resolveAnomalyOptions } from "../../src/index.js";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
export const T0 = Date.UTC(2026, 10, 2);

export class Clock {
  constructor(public t: number = T0) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function detector(options: AnomalyOptions = {}, clock = new Clock()): { d: AnomalyDetector; clock: Clock } {
  const d = new AnomalyDetector(resolveAnomalyOptions(options), Buffer.alloc(32, 7), clock.now, undefined, "w1");
  return { d, clock };
}

/** Past the learning period, with the principal's usual tenant and hours seen (every hour of the day). */
export function learnt(options: AnomalyOptions = {}, principal = "app", tenant = "acme"): { d: AnomalyDetector; clock: Clock } {
  const r = detector({ learningHours: 24, ...options });
  for (let h = 0; h < 24; h++) {
    r.d.observe({ principal, tenant, name: "DATABASE_URL", denied: false });
    r.clock.advance(HOUR);
  }
  r.clock.advance(HOUR);
  return r;
}

export function rules(findings: readonly AnomalyFinding[]): string[] {
  return findings.map((f) => f.rule);
}
