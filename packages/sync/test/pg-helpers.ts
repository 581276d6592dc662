/**
 * PostgreSQL for the sync tests: each test file starts its own throwaway cluster (test/pg/cluster.mjs;
 * installed from Debian's packages when missing) and gives each test a fresh database.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Keyring, type Provider, SecretManager, type TenantId, initMasterKey, parseTenantId } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import { afterAll, beforeAll } from "vitest";
import { type Cluster, startCluster } from "../../../test/pg/cluster.mjs";
import { type CallCounts, PgStateStore, type RouteSpec, SyncEngine, counting, emptyCounts } from "../src/index.js";

/** The built package, for child processes (`npm test` builds before it tests). */
export const SYNC_DIST = resolve(import.meta.dirname, "../dist/index.js");

/** Starts a cluster for this file; `cluster()` returns it inside tests. */
export function useCluster(): () => Cluster {
  let c: Cluster | undefined;
  beforeAll(async () => {
    c = await startCluster();
  });
  afterAll(() => c?.stop());
  return () => {
    if (!c) throw new Error("the PostgreSQL cluster did not start");
    return c;
  };
}

export interface PgBed {
  dir: string;
  url: string;
  keyring: Keyring;
  source: Provider;
  target: Provider;
  rawTarget: Provider;
  sourceCalls: CallCounts;
  targetCalls: CallCounts;
  state: PgStateStore;
  tenants: TenantId[];
  manager(tenant: string, provider?: Provider): SecretManager;
  /** An engine on this bed; `state` lets a second engine use its own pool, as another gateway would. */
  engine(route?: Partial<RouteSpec>, options?: { state?: PgStateStore; owner?: string; leaseMs?: number }): SyncEngine;
}

/** The sync bed of helpers.ts (two file providers, a keyring) with the state on PostgreSQL. */
export async function pgBed(url: string, tenants = ["acme", "globex"]): Promise<PgBed> {
  const dir = mkdtempSync(join(tmpdir(), "pv-pgsync-"));
  const mk = await initMasterKey(dir);
  const keyring = await Keyring.open(dir, mk.key);
  const sourceCalls = emptyCounts();
  const targetCalls = emptyCounts();
  const rawTarget = createFileProvider({ name: "mirror", dir: join(dir, "mirror") });
  const source = counting(createFileProvider({ name: "local", dir: join(dir, "store") }), sourceCalls);
  const target = counting(rawTarget, targetCalls);
  const state = await PgStateStore.open(url);
  const ids = tenants.map(parseTenantId);
  return {
    dir,
    url,
    keyring,
    source,
    target,
    rawTarget,
    sourceCalls,
    targetCalls,
    state,
    tenants: ids,
    manager: (tenant, provider = source) => new SecretManager({ tenant: parseTenantId(tenant), keyring, primary: provider }),
    engine: (route = {}, options = {}) =>
      new SyncEngine({
        state: options.state ?? state,
        keyring,
        owner: options.owner,
        leaseMs: options.leaseMs,
        routes: [
          {
            name: "mirror",
            source,
            targets: [{ provider: target, encryption: "envelope" }],
            tenants: ids,
            prune: true,
            conflict: "source-wins",
            maxDeleteFraction: 0.1,
            ...route,
          },
        ],
      }),
  };
}

/** Every row of every Polyvault table, as text: what a canary search looks through. */
export async function dumpTables(store: PgStateStore): Promise<string> {
  const tables = await store.pool.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'pv\\_%' ORDER BY 1");
  let out = "";
  for (const { t } of tables.rows) out += JSON.stringify((await store.pool.query(`SELECT * FROM ${t}`)).rows);
  return out;
}
