/**
 * One gate per provider, shared by every route, tenant and reader using it: a concurrency limit
 * (p-queue), a rate budget (p-throttle), and a circuit breaker (cockatiel) that opens after
 * consecutive retryable failures so that callers fail fast (and reads fail over) while it is down.
 *
 * The rate budget `{ perSecond, burst }` admits at most `burst` calls in any window of
 * `burst / perSecond` seconds, sliding (p-throttle's strict mode). Slots are booked at their
 * theoretical times, so a timer that fires late does not cost the budget anything: a token bucket
 * holding one token loses that lateness on every call (5–12 % of a 50/s budget, measured with
 * bench/sync-latency.mjs).
 */
import { DEFAULT_CONCURRENCY, type Provider, UnavailableError, isPolyvaultError } from "@polyvault/core";
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from "cockatiel";
import PQueue from "p-queue";
import pThrottle from "p-throttle";

export interface GateOptions {
  readonly concurrency?: number | undefined;
  readonly perSecond?: number | undefined;
  readonly burst?: number | undefined;
  /** Consecutive retryable failures that open the breaker (default 5). */
  readonly failureThreshold?: number | undefined;
  /** How long the breaker stays open before letting one call through (default 10 s). */
  readonly halfOpenAfterMs?: number | undefined;
}

export type BreakerState = "closed" | "open" | "half-open";

export class ProviderGate {
  readonly #queue: PQueue;
  readonly #slot: (() => Promise<void>) | undefined;
  readonly #breaker;
  readonly #halfOpenAfterMs: number;
  #openedAt = 0;
  #waits = 0;

  /** Calls let through at once (the configured `concurrency`, else the provider type's default). */
  get concurrency(): number {
    return this.#queue.concurrency;
  }

  constructor(
    readonly provider: string,
    options: GateOptions = {},
  ) {
    this.#queue = new PQueue({ concurrency: options.concurrency ?? DEFAULT_CONCURRENCY });
    if (options.perSecond) {
      const burst = options.burst ?? Math.max(1, Math.ceil(options.perSecond));
      const throttle = pThrottle({
        limit: burst,
        interval: (burst * 1000) / options.perSecond,
        strict: true,
        onDelay: () => {
          this.#waits++;
        },
      });
      this.#slot = throttle(async () => undefined);
    }
    this.#halfOpenAfterMs = options.halfOpenAfterMs ?? 10_000;
    this.#breaker = circuitBreaker(
      handleWhen((err) => isPolyvaultError(err) && err.retryable),
      { halfOpenAfter: options.halfOpenAfterMs ?? 10_000, breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5) },
    );
    // Fail fast only while the breaker is open and its half-open time has not come: cockatiel moves to
    // half-open inside execute(), so after that time one call must reach it.
    this.#breaker.onBreak(() => {
      this.#openedAt = performance.now();
    });
  }

  get breakerState(): BreakerState {
    const s = this.#breaker.state;
    return s === CircuitState.Closed ? "closed" : s === CircuitState.HalfOpen ? "half-open" : "open";
  }

  /** Times a caller waited for a rate-budget token (how often the budget held callers back). */
  get rateWaits(): number {
    return this.#waits;
  }

  /**
   * True while every call is refused at once: the breaker is open and its half-open time has not come
   * (after that, one call must reach cockatiel, which moves to half-open inside execute()).
   */
  get refusing(): boolean {
    return this.breakerState === "open" && performance.now() - this.#openedAt < this.#halfOpenAfterMs;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.refusing) throw this.#open();
    return this.#queue.add(async () => {
      if (this.#slot) await this.#slot();
      try {
        return await this.#breaker.execute(fn);
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw this.#open();
        throw err;
      }
    }) as Promise<T>;
  }

  /**
   * The refusal of a call while the breaker is open. Without a stack: it would only name this method, and
   * capturing it was 7.5 % of a failover read's CPU (docs/benchmarks.md, "Failover reads").
   */
  #open(): UnavailableError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new UnavailableError(`provider ${this.provider} is unavailable (circuit breaker open after repeated failures)`, { provider: this.provider });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** The provider with every call passed through the gate. */
export function gated(provider: Provider, gate: ProviderGate): Provider {
  const g =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A) =>
      gate.run(() => fn(...a));
  return {
    name: provider.name,
    type: provider.type,
    capabilities: provider.capabilities,
    nameFits: (t, n) => provider.nameFits(t, n),
    list: g(provider.list.bind(provider)),
    head: g(provider.head.bind(provider)),
    get: g(provider.get.bind(provider)),
    getMany: g(provider.getMany.bind(provider)),
    put: g(provider.put.bind(provider)),
    delete: g(provider.delete.bind(provider)),
    versions: g(provider.versions.bind(provider)),
    health: () => provider.health(),
    close: () => provider.close(),
    ...(provider.rewriteVersion ? { rewriteVersion: g(provider.rewriteVersion.bind(provider)) } : {}),
    ...(provider.listTenants ? { listTenants: g(provider.listTenants.bind(provider)) } : {}),
  };
}
