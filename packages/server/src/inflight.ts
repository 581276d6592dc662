/**
 * The route handlers still running. A gateway's close waits for them before the runtime is closed: when a
 * client hangs up, node ends its connection and fastify's close no longer waits for that request, but the
 * handler goes on (a provider call, a decryption, the audit record of what it read); closing the keyring
 * or the audit log under it turned that into a 500 in the log.
 */
export class InFlight {
  #running = 0;
  #waiters: Array<() => void> = [];

  get running(): number {
    return this.#running;
  }

  /** Runs `work`, counted until it settles. */
  track<T>(work: () => Promise<T>): Promise<T> {
    this.#running++;
    let p: Promise<T>;
    try {
      p = work();
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.finally(() => {
      if (--this.#running === 0) for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves true once nothing runs, or false after `ms`. */
  idle(ms: number): Promise<boolean> {
    if (this.#running === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
