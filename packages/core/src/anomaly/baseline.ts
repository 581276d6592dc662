/**
 * The per-principal baseline and its merge. Every field merges as a join (union, min of first-seen
 * times, max of counts, per-writer max of slot counts), so two processes that each learnt something and
 * then merge their copies under the file lock lose neither's knowledge, and merging the same copy twice
 * changes nothing. It holds principal ids, tenant ids, times, counts and keyed hashes of names and name
 * prefixes: never a secret name, never a value. Its size is bounded by the windows, not by the traffic.
 */

/** A tumbling window being counted; folded into the peak when the next one starts, unless it alerted. */
export interface Bucket {
  start: number;
  n: number;
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
  /** Burst window, in 30 slots: slot start (ms) → writer (process) → requests. */
  slots: Map<number, Record<string, number>>;
  /** Sweep window: keyed name hash → last seen (ms), oldest first. */
  recent: Map<string, number>;
  /** Per writer (process), times of the denials since the last allowed request (at most MAX_RUN each). */
  denied: Record<string, number[]>;
  lastAllowed: number;
  /** Per rule, the time until which it does not alert again. */
  cooldown: Record<string, number>;
}

export interface BaselineState {
  v: 1;
  createdAt: number;
  principals: Record<string, PrincipalBaseline>;
}

export const MAX_PREFIXES = 512;
/** Names kept in the sweep window per principal, and denials kept in a run. */
export const MAX_RECENT = 4096;
export const MAX_RUN = 4096;

const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
/** Keyed by tenant ids and hashes: null-prototype maps, so a key such as `constructor` is only itself. */
const own = <T>(from: Record<string, T>): Record<string, T> => Object.assign(dict<T>(), from);

export function emptyState(createdAt: number): BaselineState {
  return { v: 1, createdAt, principals: dict() };
}

export function emptyPrincipal(): PrincipalBaseline {
  return {
    tenants: dict(),
    prefixes: dict(),
    hours: new Array(24).fill(0),
    peakRate: 0,
    peakNames: 0,
    rate: { start: 0, n: 0, alerted: false },
    names: { start: 0, n: 0, alerted: false },
    slots: new Map(),
    recent: new Map(),
    denied: dict(),
    lastAllowed: 0,
    cooldown: dict(),
  };
}

/** Moves both buckets to the windows holding `now`, folding finished windows into the peaks. */
export function advance(p: PrincipalBaseline, now: number, rateMs: number, namesMs: number): void {
  const rateStart = now - (now % rateMs);
  if (p.rate.start !== rateStart) {
    if (!p.rate.alerted) p.peakRate = Math.max(p.peakRate, p.rate.n);
    p.rate = { start: rateStart, n: 0, alerted: false };
  }
  const namesStart = now - (now % namesMs);
  if (p.names.start !== namesStart) {
    if (!p.names.alerted) p.peakNames = Math.max(p.peakNames, p.names.n);
    p.names = { start: namesStart, n: 0, alerted: false };
  }
}

function minMerge(a: Record<string, number>, b: Record<string, number>, cap = Number.POSITIVE_INFINITY): Record<string, number> {
  const out = own(a);
  for (const [k, t] of Object.entries(b)) out[k] = Math.min(out[k] ?? t, t);
  if (Object.keys(out).length <= cap) return out;
  // Over the cap: keep the oldest (the most established) entries.
  return own(
    Object.fromEntries(
      Object.entries(out)
        .sort((x, y) => x[1] - y[1])
        .slice(0, cap),
    ),
  );
}

function maxMerge(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = own(a);
  for (const [k, t] of Object.entries(b)) out[k] = Math.max(out[k] ?? t, t);
  return out;
}

/** Same window: max; else the older one is folded into the peak and the newer kept. */
function mergeBucket(a: Bucket, b: Bucket, fold: (older: Bucket) => void): Bucket {
  if (a.start === b.start) return { start: a.start, n: Math.max(a.n, b.n), alerted: a.alerted || b.alerted };
  const [older, newer] = a.start < b.start ? [a, b] : [b, a];
  fold(older);
  return { ...newer };
}

export function mergePrincipal(a: PrincipalBaseline, b: PrincipalBaseline): PrincipalBaseline {
  let peakRate = Math.max(a.peakRate, b.peakRate);
  let peakNames = Math.max(a.peakNames, b.peakNames);
  const rate = mergeBucket(a.rate, b.rate, (o) => {
    if (!o.alerted) peakRate = Math.max(peakRate, o.n);
  });
  const names = mergeBucket(a.names, b.names, (o) => {
    if (!o.alerted) peakNames = Math.max(peakNames, o.n);
  });
  const slots = new Map<number, Record<string, number>>();
  for (const s of new Set([...a.slots.keys(), ...b.slots.keys()])) slots.set(s, maxMerge(a.slots.get(s) ?? {}, b.slots.get(s) ?? {}));
  const latest = new Map(a.recent);
  for (const [k, t] of b.recent) latest.set(k, Math.max(t, latest.get(k) ?? t));
  // Ordered by last seen, oldest first (pruning stops at the first name still in the window).
  const recent = [...latest];
  const lastAllowed = Math.max(a.lastAllowed, b.lastAllowed);
  // One writer's list only grows until an allowed request clears it: the longer copy is the newer.
  const denied = dict<number[]>();
  for (const w of new Set([...Object.keys(a.denied), ...Object.keys(b.denied)])) {
    const [x = [], y = []] = [a.denied[w], b.denied[w]];
    const kept = (x.length >= y.length ? x : y).filter((t) => t > lastAllowed);
    if (kept.length > 0) denied[w] = kept;
  }
  return {
    tenants: minMerge(a.tenants, b.tenants),
    prefixes: minMerge(a.prefixes, b.prefixes, MAX_PREFIXES),
    hours: a.hours.map((n, h) => Math.max(n, b.hours[h] ?? 0)),
    peakRate,
    peakNames,
    rate,
    names,
    slots: new Map([...slots].sort((x, y) => x[0] - y[0])),
    recent: new Map(recent.sort((x, y) => x[1] - y[1]).slice(-MAX_RECENT)),
    denied,
    lastAllowed,
    cooldown: maxMerge(a.cooldown, b.cooldown),
  };
}

export function mergeState(a: BaselineState, b: BaselineState): BaselineState {
  const out = emptyState(Math.min(a.createdAt, b.createdAt));
  for (const [id, p] of Object.entries(a.principals)) out.principals[id] = p;
  for (const [id, p] of Object.entries(b.principals)) {
    const mine = out.principals[id];
    out.principals[id] = mine ? mergePrincipal(mine, p) : p;
  }
  return out;
}

/** The state as JSON can hold it (Maps as arrays of pairs), and back. */
export function toJson(state: BaselineState): object {
  const principals: Record<string, object> = {};
  for (const [id, p] of Object.entries(state.principals)) principals[id] = { ...p, slots: [...p.slots], recent: [...p.recent] };
  return { ...state, principals };
}

export function fromJson(raw: { v: 1; createdAt: number; principals: Record<string, Record<string, unknown>> }): BaselineState {
  const out = emptyState(raw.createdAt);
  for (const [id, p] of Object.entries(raw.principals)) {
    const q = p as unknown as PrincipalBaseline & { slots: [number, Record<string, number>][]; recent: [string, number][] };
    out.principals[id] = {
      ...q,
      tenants: own(q.tenants),
      prefixes: own(q.prefixes),
      cooldown: own(q.cooldown),
      denied: own(q.denied),
      slots: new Map(q.slots.map(([s, w]) => [s, own(w)])),
      recent: new Map(q.recent),
    };
  }
  return out;
}
