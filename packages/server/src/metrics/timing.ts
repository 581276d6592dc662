/**
 * Provider call timing for the gateway's managers: every storage call is observed in the
 * `polyvault_provider_request_duration_seconds` histogram by provider, operation and outcome ("ok" or
 * the error code). Labels come from fixed sets only: never a tenant, a secret name or a value.
 */
import { type Provider, isPolyvaultError } from "@polyvault/core";
import type { Histogram } from "prom-client";

export type DurationHistogram = Histogram<"provider" | "operation" | "outcome">;

const OPERATIONS = ["list", "head", "get", "getMany", "put", "delete", "versions"] as const;

export function outcomeOf(err: unknown): string {
  return isPolyvaultError(err) ? err.code : "INTERNAL";
}

export function timed(provider: Provider, histogram: DurationHistogram): Provider {
  const wrap =
    <A extends unknown[], R>(operation: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const end = histogram.startTimer({ provider: provider.name, operation });
      try {
        const r = await fn(...a);
        end({ outcome: "ok" });
        return r;
      } catch (err) {
        end({ outcome: outcomeOf(err) });
        throw err;
      }
    };
  const out: Provider = {
    name: provider.name,
    type: provider.type,
    capabilities: provider.capabilities,
    nameFits: (t, n) => provider.nameFits(t, n),
    health: () => provider.health(),
    close: () => provider.close(),
    list: wrap("list", provider.list.bind(provider)),
    head: wrap("head", provider.head.bind(provider)),
    get: wrap("get", provider.get.bind(provider)),
    getMany: wrap("getMany", provider.getMany.bind(provider)),
    put: wrap("put", provider.put.bind(provider)),
    delete: wrap("delete", provider.delete.bind(provider)),
    versions: wrap("versions", provider.versions.bind(provider)),
    ...(provider.rewriteVersion ? { rewriteVersion: wrap("rewriteVersion", provider.rewriteVersion.bind(provider)) } : {}),
    ...(provider.listTenants ? { listTenants: wrap("listTenants", provider.listTenants.bind(provider)) } : {}),
  };
  return out;
}

/** Every operation label the histogram can carry (documented in docs/gateway.md). */
export const TIMED_OPERATIONS: readonly string[] = [...OPERATIONS, "rewriteVersion", "listTenants"];
