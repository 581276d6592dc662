/**
 * Each configured provider built twice — for normal calls and for reads that may fail over (a short
 * deadline, one attempt) — both behind one gate (concurrency, rate budget) and counting their calls.
 */
import { dirname } from "node:path";
import { FAILOVER_POLICY, type Provider } from "@polyvault/core";
import { type CallCounts, ProviderGate, counting, emptyCounts, gated } from "@polyvault/sync";
import type { LoadedConfig } from "../config/load.js";
import { createProvider } from "./build.js";
import type { ProviderRegistry } from "./registry.js";

export interface ProviderSet {
  readonly provider: Provider;
  /** The same store with a short timeout and no retries, for reads that may fail over. */
  readonly fast: Provider;
  readonly gate: ProviderGate;
  /** Calls made through `provider` and `fast` by this process, by kind. */
  readonly calls: CallCounts;
}

/** Each configured provider twice (normal and fast read path), behind one gate, with call counts. */
export async function createProviderSets(loaded: LoadedConfig, dataDir: string, registry: ProviderRegistry): Promise<Map<string, ProviderSet>> {
  const sets = new Map<string, ProviderSet>();
  for (const [name, pc] of Object.entries(loaded.config.providers ?? {})) {
    const gate = new ProviderGate(name, { concurrency: registry.concurrency(pc), perSecond: pc.rateLimit?.perSecond, burst: pc.rateLimit?.burst });
    const calls = emptyCounts();
    const baseDir = loaded.path ? dirname(loaded.path) : dataDir;
    const provider = counting(gated(await createProvider(name, pc, dataDir, {}, baseDir, registry), gate), calls);
    // Failover reads, for every provider type: a short deadline and one attempt (core's FAILOVER_POLICY).
    const failover = { timeoutMs: Math.min(pc.timeoutMs ?? FAILOVER_POLICY.timeoutMs, FAILOVER_POLICY.timeoutMs), retries: FAILOVER_POLICY.retries };
    const fast = counting(gated(await createProvider(name, pc, dataDir, failover, baseDir, registry), gate), calls);
    sets.set(name, { provider, fast, gate, calls });
  }
  return sets;
}

/** Closes every provider of the sets (both paths). */
export async function closeProviderSets(sets: Iterable<ProviderSet>): Promise<void> {
  for (const s of sets) await Promise.all([s.provider.close(), s.fast.close()]);
}
