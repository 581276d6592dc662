/**
 * A provider for background work (the scheduled rewrap): at most `perSecond` calls a second (when given), one at a
 * time, through the same gate type as every provider (token bucket; docs/reliability.md), and every
 * call refused once `signal` is aborted, so that a stopping scheduler does not wait for a long rewrap
 * (which resumes on the next run: rewrap is idempotent).
 */
import type { Provider } from "@polyvault/core";
import { ProviderGate, gated } from "@polyvault/sync";

const UNGUARDED = new Set<PropertyKey>(["name", "type", "capabilities", "nameFits", "health", "close"]);

export function paced(provider: Provider, perSecond: number | undefined, signal?: AbortSignal): Provider {
  const limited = gated(provider, new ProviderGate(provider.name, { perSecond, burst: 1, concurrency: 1 }));
  if (!signal) return limited;
  return new Proxy(limited, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || UNGUARDED.has(key)) return value;
      return (...args: unknown[]) => {
        signal.throwIfAborted();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
