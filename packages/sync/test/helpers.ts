import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring, type Provider, SecretManager, type TenantId, initMasterKey, parseTenantId } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import { type ApplyResult, type CallCounts, type RouteSpec, SqliteStateStore, SyncEngine, applyPlan, counting, emptyCounts } from "../src/index.js";

export interface Bed {
  dir: string;
  keyring: Keyring;
  source: Provider;
  target: Provider;
  rawTarget: Provider;
  sourceCalls: CallCounts;
  targetCalls: CallCounts;
  state: SqliteStateStore;
  manager(tenant: string, provider?: Provider): SecretManager;
  engine(route?: Partial<RouteSpec>): SyncEngine;
  tenants: TenantId[];
}

/** Two file providers, a keyring, a state store: a whole sync bed on local disk. */
export async function bed(tenants = ["acme", "globex"]): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), "pv-sync-"));
  const mk = await initMasterKey(dir);
  const keyring = await Keyring.open(dir, mk.key);
  const sourceCalls = emptyCounts();
  const targetCalls = emptyCounts();
  const rawTarget = createFileProvider({ name: "mirror", dir: join(dir, "mirror") });
  const source = counting(createFileProvider({ name: "local", dir: join(dir, "store") }), sourceCalls);
  const target = counting(rawTarget, targetCalls);
  const state = new SqliteStateStore(join(dir, "state.db"));
  const ids = tenants.map(parseTenantId);
  return {
    dir,
    keyring,
    source,
    target,
    rawTarget,
    sourceCalls,
    targetCalls,
    state,
    tenants: ids,
    manager: (tenant, provider = source) => new SecretManager({ tenant: parseTenantId(tenant), keyring, primary: provider }),
    engine: (route = {}) =>
      new SyncEngine({
        state,
        keyring,
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

export function reset(c: CallCounts): void {
  Object.assign(c, emptyCounts());
}

/**
 * Plans the route and applies the plan as a run killed between each target write and its record would:
 * every write lands, no record is made (the state store's upsert fails).
 */
export async function applyDyingBeforeRecords(b: Bed, route: Partial<RouteSpec> = {}): Promise<ApplyResult> {
  const engine = b.engine(route);
  const [planned] = await engine.plan();
  if (!planned?.plan) throw new Error("no plan");
  const dies = new Proxy(b.state, {
    get(t, k, r) {
      if (k === "upsert") return async () => Promise.reject(new Error("killed between the write and its record"));
      const v = Reflect.get(t, k, r);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  return applyPlan(engine.routes[0] as RouteSpec, planned.plan, dies, { keyring: b.keyring });
}
