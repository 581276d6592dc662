/**
 * The per-principal baseline and its merge. Every field merges as a join (union, min of first-seen
 * times, max of counts and peaks), so two processes that each learnt something and then merge their
 * copies under the file lock lose neither's knowledge, and merging the same copy twice changes nothing.
 * It holds principal ids, tenant ids, times, counts and keyed hashes of names and name prefixes: never a
 * secret name, never a value.
 */

/** One recent request: id (for the merge), time (ms), keyed hash of tenant+name, denied flag, unusual-prefix flag. */
export interface RecentEvent {
  readonly i: string;
  readonly t: number;
  readonly k?: string | undefined;
  readonly d?: 1 | undefined;
  /** The name's prefix was outside the principal's baseline when it was seen. */
  readonly x?: 1 | undefined;
}

/** A tumbling window being counted; folded into the peak when the next one starts, unless it alerted. */
export interface Bucket {
  start: number;
  n: number;
  names: string[];
  alerted: boolean;
}

export interface PrincipalBaseline {
  tenants: Record<string, number>;
  prefixes: Record<string, number>;
  /** Requests per UTC hour of the day. */
  hours: number[];
  /** The most requests of a finished burst window (alerting windows excepted). */
  peakRate: number;
  /** The most distinct names of a finished sweep window (alerting windows excepted). */
  peakNames: number;
  rate: Bucket;
  names: Bucket;
  events: RecentEvent[];
  /** Per rule (and rule:tenant), the time until which it does not alert again. */
  cooldown: Record<string, number>;
}

export interface BaselineState {
  v: 1;
  createdAt: number;
  principals: Record<string, PrincipalBaseline>;
}

export const MAX_PREFIXES = 512;

export function emptyState(createdAt: number): BaselineState {
  return { v: 1, createdAt, principals: Object.create(null) };
}

export function emptyPrincipal(): PrincipalBaseline {
  const bucket = (): Bucket => ({ start: 0, n: 0, names: [], alerted: false });
  return {
    tenants: Object.create(null),
    prefixes: Object.create(null),
    hours: new Array(24).fill(0),
    peakRate: 0,
    peakNames: 0,
    rate: bucket(),
    names: bucket(),
    events: [],
    cooldown: Object.create(null),
  };
}

/** Moves both buckets to the windows holding `now`, folding finished windows into the peaks. */
export function advance(p: PrincipalBaseline, now: number, rateMs: number, namesMs: number): void {
  const rateStart = now - (now % rateMs);
  if (p.rate.start !== rateStart) {
    if (!p.rate.alerted) p.peakRate = Math.max(p.peakRate, p.rate.n);
    p.rate = { start: rateStart, n: 0, names: [], alerted: false };
  }
  const namesStart = now - (now % namesMs);
  if (p.names.start !== namesStart) {
    if (!p.names.alerted) p.peakNames = Math.max(p.peakNames, p.names.names.length);
    p.names = { start: namesStart, n: 0, names: [], alerted: false };
  }
}

/** Keyed by tenant ids and hashes: null-prototype maps, so a key such as `constructor` is only itself. */
function own(from: Record<string, number>): Record<string, number> {
  return Object.assign(Object.create(null) as Record<string, number>, from);
}

function minMerge(a: Record<string, number>, b: Record<string, number>, cap = Number.POSITIVE_INFINITY): Record<string, number> {
  const out = own(a);
  for (const [k, t] of Object.entries(b)) out[k] = Math.min(out[k] ?? t, t);
  const keys = Object.keys(out);
  if (keys.length <= cap) return out;
  // Over the cap: keep the oldest (the most established) entries.
  return Object.fromEntries(
    Object.entries(out)
      .sort((x, y) => x[1] - y[1])
      .slice(0, cap),
  );
}

function maxMerge(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = own(a);
  for (const [k, t] of Object.entries(b)) out[k] = Math.max(out[k] ?? t, t);
  return out;
}

function mergeBucket(a: Bucket, b: Bucket, fold: (older: Bucket) => void): Bucket {
  if (a.start === b.start) return { start: a.start, n: Math.max(a.n, b.n), names: [...new Set([...a.names, ...b.names])], alerted: a.alerted || b.alerted };
  const [older, newer] = a.start < b.start ? [a, b] : [b, a];
  fold(older);
  return { ...newer, names: [...newer.names] };
}

export function mergePrincipal(a: PrincipalBaseline, b: PrincipalBaseline, maxEvents: number): PrincipalBaseline {
  let peakRate = Math.max(a.peakRate, b.peakRate);
  let peakNames = Math.max(a.peakNames, b.peakNames);
  const rate = mergeBucket(a.rate, b.rate, (o) => {
    if (!o.alerted) peakRate = Math.max(peakRate, o.n);
  });
  const names = mergeBucket(a.names, b.names, (o) => {
    if (!o.alerted) peakNames = Math.max(peakNames, o.names.length);
  });
  const byId = new Map<string, RecentEvent>();
  for (const e of [...a.events, ...b.events]) byId.set(e.i, e);
  const events = [...byId.values()].sort((x, y) => x.t - y.t || (x.i < y.i ? -1 : 1)).slice(-maxEvents);
  return {
    tenants: minMerge(a.tenants, b.tenants),
    prefixes: minMerge(a.prefixes, b.prefixes, MAX_PREFIXES),
    hours: a.hours.map((n, h) => Math.max(n, b.hours[h] ?? 0)),
    peakRate,
    peakNames,
    rate,
    names,
    events,
    cooldown: maxMerge(a.cooldown, b.cooldown),
  };
}

export function mergeState(a: BaselineState, b: BaselineState, maxEvents: number): BaselineState {
  const out = emptyState(Math.min(a.createdAt, b.createdAt));
  for (const [id, p] of Object.entries(a.principals)) out.principals[id] = p;
  for (const [id, p] of Object.entries(b.principals)) {
    const mine = out.principals[id];
    out.principals[id] = mine ? mergePrincipal(mine, p, maxEvents) : p;
  }
  return out;
}

/** Drops events older than `keepMs` and cooldowns that have ended, so the state does not grow. */
export function prune(state: BaselineState, now: number, keepMs: number): void {
  for (const p of Object.values(state.principals)) {
    p.events = p.events.filter((e) => e.t > now - keepMs);
    for (const [k, until] of Object.entries(p.cooldown)) if (until <= now) delete p.cooldown[k];
  }
}
