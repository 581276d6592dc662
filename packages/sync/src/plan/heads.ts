/**
 * The heads a plan compares, held compactly: a tenant of 100,000 secrets is planned in well under 256 MB
 * (bench/sync-plan-memory.mjs). Only what the diff and the size check read is kept from each head — its
 * name, version, managed flag and three `pv-*` metadata values — so labels, times and any other metadata
 * a provider returns are dropped as each page arrives.
 */
import { META, type Provider, type SecretHead, type TenantId, listAll } from "@polyvault/core";

/** The metadata the planner reads (diff.ts: digest and revision; the size check: size). */
const KEPT = [META.digest, META.revision, META.size] as const;

export function compactHead(h: SecretHead): SecretHead {
  const metadata: Record<string, string> = {};
  for (const k of KEPT) {
    const v = h.metadata[k];
    if (v !== undefined) metadata[k] = v;
  }
  return { name: h.name, version: h.version, updatedAt: undefined, managed: h.managed, metadata };
}

/**
 * A provider's heads of a tenant, page by page (the largest pages it allows: a no-op sync costs list
 * calls only), or, for a plan of a few names (push on write), one head call per name.
 */
export async function* streamHeads(provider: Provider, tenant: TenantId, only: ReadonlySet<string> | undefined): AsyncGenerator<SecretHead> {
  if (!only) {
    for await (const h of listAll(provider, tenant, provider.capabilities.maxPageSize)) yield compactHead(h);
    return;
  }
  for (const name of only) {
    try {
      yield compactHead(await provider.head(tenant, name));
    } catch (err) {
      if ((err as { code?: string }).code !== "NOT_FOUND") throw err;
    }
  }
}
