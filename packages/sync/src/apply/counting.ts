/** Counts provider calls by kind (the evidence that a no-op sync reads no value). */
import type { Provider } from "@polyvault/core";

export interface CallCounts {
  list: number;
  head: number;
  get: number;
  getMany: number;
  /** Values read: one per get, one per name returned by getMany. */
  valueReads: number;
  put: number;
  delete: number;
  versions: number;
}

export const emptyCounts = (): CallCounts => ({ list: 0, head: 0, get: 0, getMany: 0, valueReads: 0, put: 0, delete: 0, versions: 0 });

export function counting(provider: Provider, counts: CallCounts): Provider {
  const rewrite = provider.rewriteVersion?.bind(provider);
  return {
    name: provider.name,
    type: provider.type,
    capabilities: provider.capabilities,
    ...(provider.listTenants ? { listTenants: () => (provider.listTenants as () => ReturnType<NonNullable<Provider["listTenants"]>>).call(provider) } : {}),
    nameFits: (t, n) => provider.nameFits(t, n),
    health: () => provider.health(),
    close: () => provider.close(),
    list: (t, o) => {
      counts.list++;
      return provider.list(t, o);
    },
    head: (t, n) => {
      counts.head++;
      return provider.head(t, n);
    },
    get: (t, n, o) => {
      counts.get++;
      counts.valueReads++;
      return provider.get(t, n, o);
    },
    getMany: async (t, ns) => {
      counts.getMany++;
      const r = await provider.getMany(t, ns);
      counts.valueReads += r.size;
      return r;
    },
    put: (t, n, v, o) => {
      counts.put++;
      return provider.put(t, n, v, o);
    },
    delete: (t, n, o) => {
      counts.delete++;
      return provider.delete(t, n, o);
    },
    versions: (t, n) => {
      counts.versions++;
      return provider.versions(t, n);
    },
    ...(rewrite
      ? {
          rewriteVersion: (...args: Parameters<typeof rewrite>) => {
            counts.put++;
            return rewrite(...args);
          },
        }
      : {}),
  };
}
