// Key Vault's throttling ("Azure Key Vault service limits"; "throttling guidance"): at most `all`
// transactions, of which at most `create` secret creations, in any 10 seconds; over that, 429 with
// Retry-After. Refused requests do not count against the budget, as the guidance says.
export const WINDOW_MS = 10_000;

export class Throttle {
  #seen = { all: [], create: [] };

  constructor({ all = 4000, create = 300 } = {}, now = () => Date.now()) {
    this.limits = { all, create };
    this.now = now;
  }

  /** undefined when the request may run (and is counted); otherwise the seconds to wait. */
  take(isCreate) {
    const t = this.now();
    const kinds = isCreate ? ["all", "create"] : ["all"];
    let wait = 0;
    for (const k of kinds) {
      const q = this.#seen[k];
      while (q.length > 0 && q[0] <= t - WINDOW_MS) q.shift();
      if (q.length >= this.limits[k]) wait = Math.max(wait, q[q.length - this.limits[k]] + WINDOW_MS - t);
    }
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    for (const k of kinds) this.#seen[k].push(t);
    return undefined;
  }

  /** Requests counted in the last 10 seconds (for tests that check a client kept to its budget). */
  inWindow() {
    const t = this.now();
    return this.#seen.all.filter((x) => x > t - WINDOW_MS).length;
  }
}
