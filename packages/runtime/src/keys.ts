/**
 * What key management counts, over every copy of every tenant's data: the primary and each mirror, route
 * source and route target that holds envelopes (a `native` store holds no ciphertext and needs no key).
 * Status and retire count them all; rewrap (operations/keys.ts) re-seals them all (issues 15.5, 15.8).
 * The operations layer authorizes and audits; these functions only count and decide.
 */
import { type CensusScope, CheckFailedError, type KeyVersionInfo, type TenantId, type UnreadableRecord, keyCensus } from "@polyvault/core";
import type { Runtime } from "./runtime.js";
import type { TenantStore } from "./stores.js";

/** One store that holds a tenant's envelopes, and how much of its history a key must keep readable. */
export interface KeyedStore {
  readonly tenant: TenantId;
  readonly store: TenantStore;
  readonly scope: CensusScope;
}

/** Every (tenant, envelope store) pair, for every tenant (or one). */
export async function keyedStores(rt: Runtime, tenant?: TenantId): Promise<KeyedStore[]> {
  const out: KeyedStore[] = [];
  for (const t of tenant ? [tenant] : await rt.tenants()) {
    for (const store of rt.stores(t)) {
      if (store.encryption !== "envelope") continue;
      out.push({ tenant: t, store, scope: store.role === "primary" ? "all" : "current" });
    }
  }
  return out;
}

export interface StoreCount {
  readonly tenant: string;
  readonly provider: string;
  readonly role: string;
  readonly needed: number;
  readonly shreddable: number;
}

export interface KeyVersionStatus extends KeyVersionInfo {
  readonly current: boolean;
  /** Stored versions, over every store, that need this key version to be read. */
  readonly protects: number;
  /** Stored versions retiring it would make unreadable by design (superseded copies, mirror history). */
  readonly shreddable: number;
  /** Where, store by store (stores with a count only). */
  readonly stores: StoreCount[];
}

export interface KeyStatus {
  readonly current: number;
  readonly versions: KeyVersionStatus[];
  /** Records that could not be read, counted apart and named. */
  readonly unreadable: UnreadableRecord[];
}

/** Each key version, and what depends on it in every store. Damaged records do not stop it. */
export async function countKeyUse(rt: Runtime): Promise<KeyStatus> {
  const perVersion = new Map<number, StoreCount[]>();
  const unreadable: UnreadableRecord[] = [];
  for (const { tenant, store, scope } of await keyedStores(rt)) {
    const census = await keyCensus({ tenant, keyring: rt.keyring, provider: store.provider, scope });
    unreadable.push(...census.unreadable);
    for (const kv of new Set([...census.needed.keys(), ...census.shreddable.keys()])) {
      const list = perVersion.get(kv) ?? perVersion.set(kv, []).get(kv) ?? [];
      list.push({ tenant, provider: store.provider.name, role: store.role, needed: census.needed.get(kv) ?? 0, shreddable: census.shreddable.get(kv) ?? 0 });
    }
  }
  const sum = (list: StoreCount[], k: "needed" | "shreddable") => list.reduce((a, s) => a + s[k], 0);
  const versions = rt.keyring.versions().map((v) => {
    const stores = perVersion.get(v.version) ?? [];
    return { ...v, current: v.version === rt.keyring.current, protects: sum(stores, "needed"), shreddable: sum(stores, "shreddable"), stores };
  });
  return { current: rt.keyring.current, versions, unreadable };
}

const describe = (s: StoreCount): string => `${s.provider} (${s.role} of ${s.tenant}): ${s.needed}`;

/**
 * Retires a key version (its key is destroyed) only when no copy anywhere still needs it: refused while
 * any store holds a version that needs it, or a record that could not be read names it (or names none).
 */
export async function retireIfUnused(rt: Runtime, version: number): Promise<{ retired: number; shredded: number }> {
  const status = await countKeyUse(rt);
  const v = status.versions.find((x) => x.version === version);
  if (v && v.protects > 0) {
    const where = v.stores.filter((s) => s.needed > 0).map(describe);
    throw new CheckFailedError(
      `key version ${version} still protects ${v.protects} stored secret version(s) (${where.join(", ")}); run \`polyvault keys rewrap\` first`,
    );
  }
  const doubtful = status.unreadable.filter((u) => u.keyVersion === undefined || u.keyVersion === version);
  if (doubtful.length > 0) {
    const names = doubtful.slice(0, 5).map((u) => `${u.provider}:${u.tenant}/${u.name}${u.version ? `@${u.version}` : ""}`);
    throw new CheckFailedError(
      `key version ${version} cannot be shown unused: ${doubtful.length} stored record(s) could not be read (${names.join(", ")}${doubtful.length > 5 ? ", …" : ""}); repair or delete them, then retry`,
    );
  }
  await rt.keyring.retire(version);
  return { retired: version, shredded: v?.shreddable ?? 0 };
}
