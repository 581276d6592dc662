/**
 * Every provider operation runs under one deadline (timeoutMs, covering all its SDK calls and retries)
 * and retries each SDK call with p-retry: only ThrottledError and UnavailableError, exponential backoff
 * with jitter, at least Retry-After. The SDK's own retry policy is off (maxRetries 0, see client.ts), so
 * this is the only retry loop, and every call gets the deadline's abort signal.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type PolyvaultError, ThrottledError, UnavailableError } from "@polyvault/core";
import pRetry from "p-retry";
import { type ErrorContext, mapAzureError } from "./errors.js";
import { withCallStore } from "./pipeline.js";

export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #end: number;

  constructor(readonly timeoutMs: number) {
    this.#end = performance.now() + timeoutMs;
    this.#timer = setTimeout(() => this.#controller.abort(new DOMException("deadline passed", "TimeoutError")), timeoutMs);
    // Not unref'd: while a call waits out a retry backoff, this timer is what keeps a CLI process alive.
  }
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  remaining(): number {
    return Math.max(0, this.#end - performance.now());
  }
  dispose(): void {
    clearTimeout(this.#timer);
  }
}

export interface CallContext extends Omit<ErrorContext, "timeoutMs"> {
  readonly deadline: Deadline;
  /** Most retries (default 8; 0 for a single attempt, as health() wants). */
  readonly retries?: number;
}

const retryable = (e: unknown): e is PolyvaultError => e instanceof ThrottledError || e instanceof UnavailableError;

/** One SDK call with mapping and bounded retries. `fn` must pass `signal` on as the SDK's abortSignal. */
export async function call<T>(ctx: CallContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { deadline } = ctx;
  const errorCtx: ErrorContext = { provider: ctx.provider, what: ctx.what, timeoutMs: deadline.timeoutMs };
  try {
    return await pRetry(
      async () => {
        try {
          return await withCallStore(deadline.signal, () => fn(deadline.signal));
        } catch (err) {
          throw mapAzureError(deadline.signal.aborted ? deadline.signal.reason : err, errorCtx);
        }
      },
      {
        retries: ctx.retries ?? 8,
        factor: 2,
        minTimeout: 100,
        maxTimeout: 2_000,
        randomize: true,
        signal: deadline.signal,
        maxRetryTime: deadline.remaining(),
        unref: true,
        shouldRetry: ({ error }) => retryable(error) && !deadline.signal.aborted,
        onFailedAttempt: async ({ error }) => {
          // Honour the server's Retry-After on top of our own backoff, within the deadline.
          const wait = retryable(error) ? error.retryAfterMs : undefined;
          if (wait !== undefined && wait > 0 && !deadline.signal.aborted)
            await sleep(Math.min(wait, deadline.remaining()), undefined, { signal: deadline.signal }).catch(() => undefined);
        },
      },
    );
  } catch (err) {
    // p-retry rejects with the signal's reason when the deadline passes between attempts.
    throw mapAzureError(err, errorCtx);
  }
}

/** Runs one provider operation under a fresh deadline. */
export async function withDeadline<T>(timeoutMs: number, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(timeoutMs);
  try {
    return await fn(deadline);
  } finally {
    deadline.dispose();
  }
}
