/**
 * Every provider method runs as one operation with one deadline (`timeoutMs`), shared by all the Vault
 * requests it makes and all their retries. node-vault cannot cancel a request (it forwards no
 * AbortSignal to axios), so each attempt gets the time left as its axios timeout: a server that accepts
 * the connection but never answers costs at most the deadline. p-retry retries only ThrottledError and
 * UnavailableError, with exponential backoff and jitter, and stops at the deadline.
 *
 * Retry-After: node-vault's response wrapper keeps only status and body, so Vault's Retry-After header
 * (sent with 429 from rate-limit quotas) never reaches us; a mapped error that does carry
 * `retryAfterMs` is still honoured, and otherwise the backoff applies.
 */
import { type PolyvaultError, ThrottledError, UnavailableError } from "@polyvault/core";
import pRetry from "p-retry";
import { toPolyvaultError } from "./errors.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Operation {
  private readonly start = performance.now();

  constructor(
    private readonly timeoutMs: number,
    private readonly provider: string,
  ) {}

  /** Milliseconds left before this operation's deadline. */
  remaining(): number {
    return this.timeoutMs - (performance.now() - this.start);
  }

  private timedOut(what: string): UnavailableError {
    return new UnavailableError(`${what}: vault did not answer within ${this.timeoutMs} ms`, { provider: this.provider });
  }

  /** One Vault request, retried while retryable and time is left; `fn` gets the axios timeout to use. */
  async call<T>(what: string, fn: (timeoutMs: number) => Promise<T>): Promise<T> {
    const ctx = { provider: this.provider, what };
    return pRetry(
      async () => {
        const left = Math.floor(this.remaining());
        if (left <= 0) throw this.timedOut(what);
        try {
          return await fn(left);
        } catch (err) {
          throw toPolyvaultError(err, ctx);
        }
      },
      {
        retries: 20,
        minTimeout: 50,
        maxTimeout: 2_000,
        factor: 2,
        randomize: true,
        maxRetryTime: Math.max(0, this.remaining()),
        shouldRetry: ({ error }) => error instanceof ThrottledError || error instanceof UnavailableError,
        onFailedAttempt: async ({ error }) => {
          const after = (error as PolyvaultError).retryAfterMs;
          if (after === undefined || after <= 0) return;
          // Asked to wait past the deadline: report the server's answer now rather than ignore it.
          if (after >= this.remaining()) throw error;
          await sleep(after);
        },
      },
    );
  }
}
