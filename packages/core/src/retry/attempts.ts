/**
 * The retry loop (p-retry underneath) every provider runs each request through: at most
 * `policy.retries + 1` attempts, only ThrottledError and UnavailableError retried, backoff with jitter,
 * at least the server's Retry-After, never past the deadline.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pRetry from "p-retry";
import { type PolyvaultError, ThrottledError, UnavailableError, isPolyvaultError } from "../errors.js";
import type { Deadline } from "./deadline.js";
import type { RetryPolicy } from "./policy.js";

export interface AttemptOptions {
  readonly deadline: Deadline;
  readonly policy: Pick<RetryPolicy, "retries" | "minDelayMs" | "maxDelayMs">;
  /** Turns whatever an attempt threw into the error hierarchy; `expired` says the deadline has passed. */
  readonly mapError: (err: unknown, expired: boolean) => PolyvaultError;
  /** Retries for this request instead of the policy's (e.g. 0 for a health check). */
  readonly retries?: number | undefined;
}

const retryable = (e: unknown): e is PolyvaultError => e instanceof ThrottledError || e instanceof UnavailableError;

/** One request, retried while retryable and time is left. `fn` gets the deadline's signal and the ms left. */
export async function attempt<T>(options: AttemptOptions, fn: (signal: AbortSignal, remainingMs: number) => Promise<T>): Promise<T> {
  const { deadline, policy, mapError } = options;
  try {
    return await pRetry(
      async () => {
        const left = Math.floor(deadline.remaining());
        if (left <= 0) throw mapError(deadline.signal.reason, true);
        try {
          return await fn(deadline.signal, left);
        } catch (err) {
          throw mapError(deadline.expired ? (deadline.signal.reason ?? err) : err, deadline.expired);
        }
      },
      {
        retries: options.retries ?? policy.retries,
        factor: 2,
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        randomize: true,
        signal: deadline.signal,
        maxRetryTime: deadline.remaining(),
        shouldRetry: ({ error }) => retryable(error) && !deadline.expired,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          const after = retryable(error) ? error.retryAfterMs : undefined;
          if (after === undefined || after <= 0 || retriesLeft === 0) return;
          // Asked to wait past the deadline: report the server's answer now rather than ignore it.
          if (after >= deadline.remaining()) throw error;
          await sleep(after, undefined, { signal: deadline.signal });
        },
      },
    );
  } catch (err) {
    // p-retry rejects with the signal's reason when the deadline passes between attempts.
    throw isPolyvaultError(err) ? err : mapError(err, deadline.expired);
  }
}

/**
 * Promise.all for the parallel requests of one provider call, but waiting for all of them: a call that
 * fails leaves no request of its own still retrying behind it. Throws the first failure.
 */
export async function allOf<T extends readonly unknown[]>(promises: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
