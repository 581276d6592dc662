/**
 * Provider health for /health/secrets, /metrics and the status page: each provider's health() with a
 * deadline (a server that does not answer is down, never a hung request), its latency, and its circuit
 * breaker's state. Results are reused for a short while so that scrapes and page loads do not multiply
 * probes; concurrent callers share one probe.
 */
import type { Runtime } from "@polyvault/runtime";
import type { BreakerState } from "@polyvault/sync";

export interface ProviderHealth {
  readonly type: string;
  readonly up: boolean;
  readonly latencyMs: number;
  readonly breaker: BreakerState;
  readonly detail?: string | undefined;
  readonly checkedAt: string;
}

export class HealthMonitor {
  #last: { at: number; result: Record<string, ProviderHealth> } | undefined;
  #inFlight: Promise<Record<string, ProviderHealth>> | undefined;

  constructor(
    readonly runtime: Runtime,
    readonly options: { readonly timeoutMs: number; readonly cacheMs: number },
  ) {}

  /** The latest result without probing (undefined before the first probe). */
  get last(): Record<string, ProviderHealth> | undefined {
    return this.#last?.result;
  }

  async check(): Promise<Record<string, ProviderHealth>> {
    if (this.#last && Date.now() - this.#last.at < this.options.cacheMs) return this.#withBreakers(this.#last.result);
    this.#inFlight ??= this.#probeAll().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #probeAll(): Promise<Record<string, ProviderHealth>> {
    const entries = await Promise.all([...this.runtime.providers].map(async ([name, p]) => [name, await this.#probe(name, p.type, () => p.health())] as const));
    const result = Object.fromEntries(entries);
    this.#last = { at: Date.now(), result };
    return result;
  }

  async #probe(name: string, type: string, health: () => Promise<{ ok: boolean; latencyMs: number; detail?: string | undefined }>): Promise<ProviderHealth> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ ok: false; latencyMs: number; detail: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, latencyMs: this.options.timeoutMs, detail: `no answer within ${this.options.timeoutMs} ms` }),
        this.options.timeoutMs,
      );
    });
    try {
      const r = await Promise.race([health(), deadline]).catch((err: unknown) => ({
        ok: false,
        latencyMs: performance.now() - t0,
        detail: (err as Error).message,
      }));
      return {
        type,
        up: r.ok,
        latencyMs: Math.round(r.latencyMs * 10) / 10,
        breaker: this.runtime.gate(name).breakerState,
        ...(r.detail ? { detail: r.detail.slice(0, 300) } : {}),
        checkedAt: new Date().toISOString(),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A cached probe with the breakers' current states (they change between probes). */
  #withBreakers(result: Record<string, ProviderHealth>): Record<string, ProviderHealth> {
    return Object.fromEntries(Object.entries(result).map(([n, h]) => [n, { ...h, breaker: this.runtime.gate(n).breakerState }]));
  }
}
