/**
 * Issue 15.6: keys/keyring.json is created by the runtime only where no configured store holds a
 * Polyvault secret. The data-directory check of core cannot see a cloud primary or a store kept outside
 * the data directory, so the runtime asks every configured provider, for every tenant it knows of.
 */
import { type Provider, type TenantId, keyringMissing, parseTenantId } from "@polyvault/core";
import type { PolyvaultConfig } from "./config/schema.js";

/** Tenants named anywhere in the configuration, plus those a provider can list. */
async function knownTenants(config: PolyvaultConfig, providers: Iterable<Provider>): Promise<TenantId[]> {
  const out = new Set<string>(Object.keys(config.tenants ?? {}));
  for (const rc of Object.values(config.routes ?? {})) if (rc.tenants !== "*") for (const t of rc.tenants) out.add(t);
  for (const p of providers) if (p.listTenants) for (const t of await p.listTenants()) out.add(t);
  return [...out].sort().map(parseTenantId);
}

/** Throws IntegrityError when some provider holds a managed secret of some known tenant. */
export async function refuseNewKeyringOverSecrets(path: string, config: PolyvaultConfig, providers: ReadonlyMap<string, Provider>): Promise<void> {
  for (const tenant of await knownTenants(config, providers.values())) {
    for (const p of providers.values()) {
      const page = await p.list(tenant, { pageSize: 10 });
      if (page.items.some((h) => h.managed)) throw keyringMissing(path, `provider ${p.name} holds Polyvault secrets of tenant ${tenant}`);
    }
  }
}
