/**
 * The rules, as one pure function over a principal's baseline: it records the request and says which
 * rules it trips. Each rule alerts when its count reaches its threshold (not before), then stays quiet
 * for its window (cooldown). A new tenant or an unusual hour alerts once and then joins the baseline; a
 * burst or sweep window that alerted is never folded into the peaks, so an attack does not raise the bar
 * for the next one. During the learning period only the denials rule alerts.
 */
import { MAX_RECENT, MAX_RUN, type PrincipalBaseline, advance } from "./baseline.js";
import type { AnomalyRule, ResolvedAnomalyOptions } from "./options.js";

/** One request as the rules see it: the name only as a keyed hash (`key`) and its prefix's (`prefix`). */
export interface RuleInput {
  /** The process counting it (burst slots are counted per writer, so merged copies add up). */
  readonly writer: string;
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
  /** sweep: how many of the principal's name prefixes were first seen within the window. */
  readonly newPrefixes?: number | undefined;
  /** off-hours: the UTC hour of the request. */
  readonly hour?: number | undefined;
}

function cool(p: PrincipalBaseline, slot: string, now: number, ms: number): boolean {
  if ((p.cooldown[slot] ?? 0) > now) return false;
  p.cooldown[slot] = now + ms;
  return true;
}

/** The burst window is counted in 30 slots: a request counts while its slot overlaps the window. */
export const SLOTS_PER_WINDOW = 30;

/** Drops what every window has left behind (slots, names, denials, cooldowns). */
export function prunePrincipal(p: PrincipalBaseline, now: number, o: ResolvedAnomalyOptions): void {
  const slotMs = o.burst.windowMs / SLOTS_PER_WINDOW;
  for (const s of p.slots.keys()) if (s + slotMs <= now - o.burst.windowMs) p.slots.delete(s);
  for (const [k, t] of p.recent) {
    if (t > now - o.sweep.windowMs && p.recent.size <= MAX_RECENT) break;
    p.recent.delete(k); // oldest first: stop at the first one still in the window
  }
  for (const [w, times] of Object.entries(p.denied)) {
    const kept = times.filter((t) => t > now - o.denials.windowMs);
    if (kept.length > 0) p.denied[w] = kept;
    else delete p.denied[w];
  }
  for (const [k, until] of Object.entries(p.cooldown)) if (until <= now) delete p.cooldown[k];
}

export function evaluate(p: PrincipalBaseline, input: RuleInput, o: ResolvedAnomalyOptions): Finding[] {
  const now = input.time;
  const out: Finding[] = [];
  advance(p, now, o.burst.windowMs, o.sweep.windowMs);
  prunePrincipal(p, now, o);
  p.rate.n++;

  if (input.denied) {
    const mine = p.denied[input.writer] ?? [];
    mine.push(now);
    if (mine.length > MAX_RUN) mine.shift();
    p.denied[input.writer] = mine;
    let run = 0;
    for (const times of Object.values(p.denied)) run += times.length;
    if (run >= o.denials.count && cool(p, "denials", now, o.denials.windowMs))
      out.push({ rule: "denials", observed: run, threshold: o.denials.count, baseline: 0, windowSeconds: o.denials.windowMs / 1000 });
  } else {
    p.lastAllowed = now;
    p.denied = Object.create(null) as Record<string, number[]>;
  }

  const slotMs = o.burst.windowMs / SLOTS_PER_WINDOW;
  const slotStart = now - (now % slotMs);
  const slot = p.slots.get(slotStart) ?? (Object.create(null) as Record<string, number>);
  slot[input.writer] = (slot[input.writer] ?? 0) + 1;
  p.slots.set(slotStart, slot);
  let inBurst = 0;
  for (const w of p.slots.values()) for (const n of Object.values(w)) inBurst += n;
  const burstAt = Math.max(o.burst.minRequests, Math.ceil(o.burst.factor * p.peakRate));
  if (inBurst >= burstAt) {
    p.rate.alerted = true;
    if (!input.learning && cool(p, "burst", now, o.burst.windowMs))
      out.push({ rule: "burst", observed: inBurst, threshold: burstAt, baseline: p.peakRate, windowSeconds: o.burst.windowMs / 1000 });
  }

  const unusualPrefix = input.prefix !== undefined && !Object.hasOwn(p.prefixes, input.prefix);
  if (input.key !== undefined) {
    const last = p.recent.get(input.key);
    if (last === undefined || last < p.names.start) p.names.n++;
    p.recent.delete(input.key); // re-inserted last: the map stays ordered by last seen
    p.recent.set(input.key, now);
    const sweepAt = Math.max(o.sweep.minNames, Math.ceil(o.sweep.factor * p.peakNames));
    if (p.recent.size >= sweepAt) {
      p.names.alerted = true;
      if (!input.learning && cool(p, "sweep", now, o.sweep.windowMs))
        out.push({
          rule: "sweep",
          observed: p.recent.size,
          threshold: sweepAt,
          baseline: p.peakNames,
          windowSeconds: o.sweep.windowMs / 1000,
          newPrefixes: Object.values(p.prefixes).filter((t) => t > now - o.sweep.windowMs).length + (unusualPrefix ? 1 : 0),
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
