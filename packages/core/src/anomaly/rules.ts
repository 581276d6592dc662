/**
 * The rules, as one pure function over a principal's baseline: it records the request and says which
 * rules it trips. Each rule alerts when its count reaches its threshold (not before), then stays quiet
 * for its window (cooldown). A new tenant or an unusual hour alerts once and then joins the baseline; a
 * burst or sweep window that alerted is never folded into the peaks, so an attack does not raise the bar
 * for the next one. During the learning period only the denials rule alerts.
 */
import { type PrincipalBaseline, type RecentEvent, advance } from "./baseline.js";
import type { AnomalyRule, ResolvedAnomalyOptions } from "./options.js";

/** One request as the rules see it: the name only as a keyed hash (`key`) and its prefix's (`prefix`). */
export interface RuleInput {
  readonly id: string;
  readonly time: number;
  readonly tenant?: string | undefined;
  readonly key?: string | undefined;
  readonly prefix?: string | undefined;
  readonly denied: boolean;
  readonly learning: boolean;
}

/** What tripped, value-free and name-free: counts, thresholds, the tenant for a new tenant. */
export interface Finding {
  readonly rule: AnomalyRule;
  /** Requests, distinct names, denials in a row, or 1 (new tenant, off-hours). */
  readonly observed: number;
  readonly threshold: number;
  /** The principal's usual figure the threshold came from (peak per window; 0 when none applies). */
  readonly baseline: number;
  readonly windowSeconds?: number | undefined;
  readonly tenant?: string | undefined;
  /** sweep: how many name prefixes new to the principal the window holds (the first name of each). */
  readonly newPrefixes?: number | undefined;
  /** off-hours: the UTC hour of the request. */
  readonly hour?: number | undefined;
}

function cool(p: PrincipalBaseline, slot: string, now: number, ms: number): boolean {
  if ((p.cooldown[slot] ?? 0) > now) return false;
  p.cooldown[slot] = now + ms;
  return true;
}

export function evaluate(p: PrincipalBaseline, input: RuleInput, o: ResolvedAnomalyOptions): Finding[] {
  const now = input.time;
  const out: Finding[] = [];
  advance(p, now, o.burst.windowMs, o.sweep.windowMs);
  const unusualPrefix = input.prefix !== undefined && !Object.hasOwn(p.prefixes, input.prefix);
  p.events.push({ i: input.id, t: now, k: input.key, d: input.denied ? 1 : undefined, ...(unusualPrefix ? { x: 1 } : {}) });
  // Oldest first: drop what every window has left behind, and keep at most maxEvents.
  const keepFrom = now - Math.max(o.burst.windowMs, o.sweep.windowMs, o.denials.windowMs);
  let drop = Math.max(0, p.events.length - o.maxEvents);
  while (drop < p.events.length && (p.events[drop] as RecentEvent).t <= keepFrom) drop++;
  if (drop > 0) p.events.splice(0, drop);
  p.rate.n++;

  if (input.denied) {
    let run = 0;
    for (let i = p.events.length - 1; i >= 0; i--) {
      const e = p.events[i] as (typeof p.events)[number];
      if (e.t <= now - o.denials.windowMs || e.d !== 1) break;
      run++;
    }
    if (run >= o.denials.count && cool(p, "denials", now, o.denials.windowMs))
      out.push({ rule: "denials", observed: run, threshold: o.denials.count, baseline: 0, windowSeconds: o.denials.windowMs / 1000 });
  }

  const inBurst = p.events.filter((e) => e.t > now - o.burst.windowMs).length;
  const burstAt = Math.max(o.burst.minRequests, Math.ceil(o.burst.factor * p.peakRate));
  if (inBurst >= burstAt) {
    p.rate.alerted = true;
    if (!input.learning && cool(p, "burst", now, o.burst.windowMs))
      out.push({ rule: "burst", observed: inBurst, threshold: burstAt, baseline: p.peakRate, windowSeconds: o.burst.windowMs / 1000 });
  }

  if (input.key !== undefined) {
    if (!p.names.names.includes(input.key)) p.names.names.push(input.key);
    const names = new Set<string>();
    const unusual = new Set<string>();
    for (const e of p.events) {
      if (e.t <= now - o.sweep.windowMs || e.k === undefined) continue;
      names.add(e.k);
      if (e.x === 1) unusual.add(e.k);
    }
    const sweepAt = Math.max(o.sweep.minNames, Math.ceil(o.sweep.factor * p.peakNames));
    if (names.size >= sweepAt) {
      p.names.alerted = true;
      if (!input.learning && cool(p, "sweep", now, o.sweep.windowMs))
        out.push({
          rule: "sweep",
          observed: names.size,
          threshold: sweepAt,
          baseline: p.peakNames,
          windowSeconds: o.sweep.windowMs / 1000,
          newPrefixes: unusual.size,
        });
    }
  }

  if (!input.denied && input.tenant !== undefined && !Object.hasOwn(p.tenants, input.tenant)) {
    if (!input.learning && o.newTenant)
      out.push({ rule: "new-tenant", observed: 1, threshold: 1, baseline: Object.keys(p.tenants).length, tenant: input.tenant });
    p.tenants[input.tenant] = now;
  }
  if (!input.denied && input.prefix !== undefined && unusualPrefix) p.prefixes[input.prefix] = now;

  const hour = new Date(now).getUTCHours();
  const seen = (p.hours[(hour + 23) % 24] ?? 0) + (p.hours[hour] ?? 0) + (p.hours[(hour + 1) % 24] ?? 0);
  if (!input.learning && o.offHours && seen === 0 && cool(p, "off-hours", now, 3_600_000))
    out.push({ rule: "off-hours", observed: 1, threshold: 1, baseline: 0, hour });
  p.hours[hour] = (p.hours[hour] ?? 0) + 1;
  return out;
}
