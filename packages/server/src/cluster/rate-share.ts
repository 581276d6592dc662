/**
 * The rate limit of `serve --workers N` counted for the whole gateway, not per worker (docs/gateway.md,
 * "Workers"). Each worker counts its own requests per key (a token's digest, or a client address) in
 * fixed windows aligned on the clock (every worker agrees which window it is), and every 100 ms sends what
 * it counted since its last message through the primary to the other workers; a key's count is the
 * worker's own plus what the others reported for the same window. The others' part lags by at most about
 * one interval: a client sending faster than that to several workers at once can pass the limit by what
 * it sends in ≈ 100 ms, never by a factor N. Nothing here names a secret or holds a token.
 *
 * A @fastify/rate-limit store: `incr` answers at once from local counts (no request waits for another
 * process).
 */
import { keepRecent } from "@polyvault/core";
import type { ToPrimary, ToWorker } from "./messages.js";
import { isOurs } from "./messages.js";

const SHARE_MS = 100;
/**
 * Keys kept per window (addresses of a flood included): past this the key counted least recently, by
 * any worker, goes first, as in @fastify/rate-limit's own store. A key still in use is not the one pushed
 * out: a flood from fresh addresses cannot reset a busy token's count.
 */
export const MAX_KEYS = 20_000;

export class SharedCounts {
  #window = -1;
  readonly #own = new Map<string, number>();
  readonly #others = new Map<string, number>();
  readonly #unsent = new Map<string, number>();

  constructor(
    readonly windowMs: number,
    readonly send: (m: ToPrimary) => void,
    readonly now: () => number = Date.now,
  ) {}

  #roll(window: number): void {
    if (window <= this.#window) return;
    this.#window = window;
    this.#own.clear();
    this.#others.clear();
    this.#unsent.clear();
  }

  static #bump(map: Map<string, number>, key: string, by: number): number {
    const n = (map.get(key) ?? 0) + by;
    keepRecent(map, key, n, MAX_KEYS);
    return n;
  }

  /** Makes `key` the most recent in `map` if it is there (counted now, by another worker or this one). */
  static #touch(map: Map<string, number>, key: string): void {
    const n = map.get(key);
    if (n !== undefined) keepRecent(map, key, n, MAX_KEYS);
  }

  /** Counts a request of `key`; what the gateway as a whole counted for it in this window, and the ms left. */
  incr(key: string): { current: number; ttl: number } {
    const now = this.now();
    this.#roll(Math.floor(now / this.windowMs));
    const own = SharedCounts.#bump(this.#own, key, 1);
    SharedCounts.#bump(this.#unsent, key, 1);
    SharedCounts.#touch(this.#others, key);
    return { current: own + (this.#others.get(key) ?? 0), ttl: (this.#window + 1) * this.windowMs - now };
  }

  /** Without counting (the store's `read`). */
  read(key: string): { current: number; ttl: number } {
    const now = this.now();
    const window = Math.floor(now / this.windowMs);
    if (window !== this.#window) return { current: 0, ttl: 0 };
    return { current: (this.#own.get(key) ?? 0) + (this.#others.get(key) ?? 0), ttl: (window + 1) * this.windowMs - now };
  }

  /** Another worker's counts since its last message (an older window's are dropped). */
  receive(window: number, counts: readonly (readonly [string, number])[]): void {
    this.#roll(window);
    if (window !== this.#window) return;
    for (const [key, n] of counts)
      if (typeof key === "string" && Number.isInteger(n) && n > 0) {
        SharedCounts.#bump(this.#others, key, n);
        SharedCounts.#touch(this.#own, key);
      }
  }

  /** Sends what this worker counted since its last message. */
  flush(): void {
    if (this.#unsent.size === 0) return;
    const counts = [...this.#unsent];
    this.#unsent.clear();
    this.send({ type: "pv:rl", window: this.#window, counts });
  }
}

let shared: SharedCounts | undefined;

/** This worker's counts (one per process: both listeners use it, each with its own key prefix), wired to the IPC channel. */
export function sharedCounts(windowMs: number): SharedCounts {
  if (shared) return shared;
  const counts = new SharedCounts(windowMs, (m) => {
    if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
  });
  process.on("message", (m: unknown) => {
    if (isOurs<ToWorker>(m) && m.type === "pv:rl") counts.receive(m.window, m.counts);
  });
  setInterval(() => counts.flush(), SHARE_MS).unref();
  shared = counts;
  return counts;
}

type Callback = (err: Error | null, res: { current: number; ttl: number }) => void;

/** A @fastify/rate-limit store over the worker's shared counts; `prefix` keeps the two listeners' budgets apart. */
export function sharedStore(counts: SharedCounts, prefix: string) {
  return class SharedStore {
    incr(key: string, cb: Callback): void {
      cb(null, counts.incr(`${prefix}${key}`));
    }
    read(key: string, cb: Callback): void {
      cb(null, counts.read(`${prefix}${key}`));
    }
    child(): SharedStore {
      return this;
    }
  };
}
