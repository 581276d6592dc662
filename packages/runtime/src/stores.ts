/**
 * Where a tenant's data is kept and in which form, from configuration alone (never from what a store
 * returns): the primary (always `envelope`), its mirrors, and the sources and targets of the routes that
 * cover it. A store is `native` only when a route covering the tenant names it as a `native` target.
 */
import type { EncryptionMode, Provider, TenantId } from "@polyvault/core";
import type { PolyvaultConfig } from "./config/schema.js";

export type StoreRole = "primary" | "mirror" | "source" | "target";

export interface TenantStore {
  readonly provider: Provider;
  readonly role: StoreRole;
  readonly encryption: EncryptionMode;
  /** The route that reads or writes it (sources and targets). */
  readonly route?: string | undefined;
  /** The route's nativeWaiver, for a native target. */
  readonly waiver?: string | undefined;
}

const covers = (tenants: "*" | readonly string[], tenant: string): boolean => tenants === "*" || tenants.includes(tenant);

/** How `provider` holds `tenant`'s values: `native` when a route covering the tenant says so. */
export function storeEncryption(config: PolyvaultConfig, tenant: string, provider: string): EncryptionMode {
  for (const rc of Object.values(config.routes ?? {})) {
    if (!covers(rc.tenants, tenant)) continue;
    for (const t of rc.targets) if (typeof t !== "string" && t.provider === provider && t.encryption === "native") return "native";
  }
  return "envelope";
}

/** Every store of the tenant, each provider once (its first role), the primary first. */
export function tenantStores(
  config: PolyvaultConfig,
  tenant: TenantId,
  placement: { primary: Provider; mirrors: readonly Provider[] },
  provider: (name: string) => Provider,
): TenantStore[] {
  const out: TenantStore[] = [];
  const add = (p: Provider, role: StoreRole, route?: string, waiver?: string) => {
    if (out.some((s) => s.provider.name === p.name)) return;
    const encryption = role === "primary" ? "envelope" : storeEncryption(config, tenant, p.name);
    out.push({ provider: p, role, encryption, ...(route === undefined ? {} : { route }), ...(waiver === undefined ? {} : { waiver }) });
  };
  add(placement.primary, "primary");
  for (const m of placement.mirrors) add(m, "mirror");
  for (const [route, rc] of Object.entries(config.routes ?? {})) {
    if (!covers(rc.tenants, tenant)) continue;
    add(provider(rc.source), "source", route);
    for (const t of rc.targets) add(provider(typeof t === "string" ? t : t.provider), "target", route, rc.nativeWaiver);
  }
  return out;
}

/** Routes that cover one tenant and name one provider in two forms: refused by configuration validation. */
export function encryptionProblems(config: PolyvaultConfig): string[] {
  const problems: string[] = [];
  const seen: Array<{ route: string; tenants: "*" | readonly string[]; provider: string; encryption: EncryptionMode }> = [];
  for (const [route, rc] of Object.entries(config.routes ?? {})) {
    for (const [i, t] of rc.targets.entries()) {
      const provider = typeof t === "string" ? t : t.provider;
      const encryption = typeof t === "string" ? "envelope" : (t.encryption ?? "envelope");
      const clash = seen.find(
        (s) =>
          s.provider === provider &&
          s.encryption !== encryption &&
          (s.tenants === "*" || rc.tenants === "*" || s.tenants.some((x) => (rc.tenants as readonly string[]).includes(x))),
      );
      if (clash) {
        problems.push(
          `routes.${route}.targets.${i}: '${provider}' has encryption ${encryption} here but ${clash.encryption} in route ${clash.route}, for the same tenants; one store holds one form`,
        );
      }
      seen.push({ route, tenants: rc.tenants, provider, encryption });
    }
  }
  return problems;
}
