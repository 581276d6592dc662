/**
 * Every provider method runs as one operation with one deadline (`timeoutMs`), shared by all the AWS
 * calls it makes and all their retries. The SDK's own retries are off (maxAttempts 1 on the client);
 * here p-retry retries only ThrottledError and UnavailableError, with exponential backoff and jitter,
 * waits at least Retry-After when the server sends it, and gives up at the deadline.
 */
import { type PolyvaultError, ThrottledError, UnavailableError, isPolyvaultError } from "@polyvault/core";
import pRetry from "p-retry";
import { type ErrorContext, toPolyvaultError } from "./errors.js";

export interface RetryPolicy {
  readonly timeoutMs: number;
  /** Attempts per AWS call, the first included. */
  readonly maxAttempts: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", abort, { once: true });
  });

export class Operation {
  readonly signal: AbortSignal;
  private readonly start = performance.now();

  constructor(
    private readonly policy: RetryPolicy,
    private readonly provider: string,
  ) {
    this.signal = AbortSignal.timeout(policy.timeoutMs);
  }

  private timedOut(what: string, cause: unknown): UnavailableError {
    return new UnavailableError(`${what}: Secrets Manager did not answer within ${this.policy.timeoutMs} ms`, {
      cause,
      provider: this.provider,
    });
  }

  /** One AWS call (idempotent: retried) under this operation's deadline; failures mapped. */
  async call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ctx: ErrorContext = { provider: this.provider, what };
    const remaining = () => this.policy.timeoutMs - (performance.now() - this.start);
    try {
      return await pRetry(
        async () => {
          try {
            return await fn(this.signal);
          } catch (err) {
            throw this.signal.aborted ? this.timedOut(what, err) : toPolyvaultError(err, ctx);
          }
        },
        {
          retries: Math.max(0, this.policy.maxAttempts - 1),
          minTimeout: 100,
          maxTimeout: 2_000,
          factor: 2,
          randomize: true,
          maxRetryTime: Math.max(0, remaining()),
          signal: this.signal,
          shouldRetry: ({ error }) => error instanceof ThrottledError || error instanceof UnavailableError,
          onFailedAttempt: async ({ error }) => {
            const after = (error as PolyvaultError).retryAfterMs;
            if (after === undefined || after <= 0) return;
            // The server asked for more time than is left: report its answer rather than ignore it.
            if (after >= remaining()) throw error;
            await sleep(after, this.signal);
          },
        },
      );
    } catch (err) {
      if (isPolyvaultError(err)) throw err;
      // p-retry rejects with the signal's reason when the deadline passes between attempts.
      throw this.signal.aborted ? this.timedOut(what, err) : toPolyvaultError(err, ctx);
    }
  }
}
