/**
 * Every provider operation runs under one deadline (timeoutMs, covering all its SDK calls and retries)
 * and retries each SDK call through core's retry engine (`attempt`, docs/configuration.md): only
 * ThrottledError and UnavailableError, backoff with jitter, at least Retry-After. The SDK's own retry
 * policy is off (maxRetries 0, see client.ts), so this is the only retry loop, and every call gets the
 * deadline's abort signal.
 */
import { type Deadline, type RetryPolicy, attempt } from "@polyvault/core";
import { type ErrorContext, mapAzureError } from "./errors.js";
import { withCallStore } from "./pipeline.js";

export { Deadline, withDeadline } from "@polyvault/core";

export interface CallContext extends Omit<ErrorContext, "timeoutMs"> {
  readonly deadline: Deadline;
  readonly policy: RetryPolicy;
  /** Retries instead of the policy's (0 for a single attempt, as health() wants). */
  readonly retries?: number | undefined;
}

/** One SDK call with mapping and bounded retries. `fn` must pass `signal` on as the SDK's abortSignal. */
export function call<T>(ctx: CallContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { deadline } = ctx;
  const errorCtx: ErrorContext = { provider: ctx.provider, what: ctx.what, timeoutMs: deadline.timeoutMs };
  return attempt(
    {
      deadline,
      policy: ctx.policy,
      retries: ctx.retries,
      mapError: (err, expired) => mapAzureError(expired ? (deadline.signal.reason ?? err) : err, errorCtx),
    },
    (signal) => withCallStore(signal, () => fn(signal)),
  );
}
