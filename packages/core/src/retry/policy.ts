/**
 * The one retry policy of every provider (docs/configuration.md, "Provider options"): a provider call
 * makes at most `retries + 1` attempts of each request it sends, all within one deadline of `timeoutMs`.
 * Only ThrottledError and UnavailableError are retried, with exponential backoff and jitter, waiting at
 * least the Retry-After a server sends. Retries happen in this layer only: the SDKs' own retries are off,
 * and the sync applier does not retry on top (a failed action is retried by the next sync run).
 */
import { InvalidInputError } from "../errors.js";

export interface RetryPolicy {
  /** Upper bound for one provider call, all its requests and retries included, in ms. */
  readonly timeoutMs: number;
  /** Retries of each request after the first attempt (0: one attempt). */
  readonly retries: number;
  /** First backoff, doubled on each retry up to `maxDelayMs`, with jitter. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = { timeoutMs: 10_000, retries: 3, minDelayMs: 100, maxDelayMs: 2_000 };
/** Bounds the configuration accepts (the runtime's schema uses the same). */
export const TIMEOUT_RANGE = { min: 100, max: 300_000 } as const;
export const RETRIES_RANGE = { min: 0, max: 10 } as const;

/** Failover reads: a short deadline and no retries, so a read falls over to a mirror quickly. */
export const FAILOVER_POLICY = { timeoutMs: 800, retries: 0 } as const;

function intIn(provider: string, label: string, value: number, range: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max)
    throw new InvalidInputError(`provider ${provider}: ${label} must be an integer from ${range.min} to ${range.max} (got ${value})`);
  return value;
}

/** The policy for a provider instance from its options, checked against the documented ranges. */
export function retryPolicy(
  provider: string,
  options: { readonly timeoutMs?: number | undefined; readonly retries?: number | undefined },
  defaults: Partial<RetryPolicy> = {},
): RetryPolicy {
  const base = { ...RETRY_DEFAULTS, ...defaults };
  return {
    ...base,
    timeoutMs: intIn(provider, "timeoutMs", options.timeoutMs ?? base.timeoutMs, TIMEOUT_RANGE),
    retries: intIn(provider, "retries", options.retries ?? base.retries, RETRIES_RANGE),
  };
}
