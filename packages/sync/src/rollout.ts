/**
 * Gradual rotation through sync: the targets a rotated secret must reach, one route target at a time,
 * each pushed alone (a one-target route for that one name) and read back (the target's current version
 * must be the one the state record says was written for the new revision and the source's digest)
 * before the next one is touched.
 */
import { META, type Keyring, type TenantId, parseTenantId } from "@polyvault/core";
import { applyPlan } from "./apply/applier.js";
import { planRoute } from "./plan/planner.js";
import type { RouteSpec } from "./plan/types.js";
import type { StateStore } from "./state/types.js";

export interface RolloutTargetLike {
  readonly name: string;
  push(): Promise<void>;
  readBack(): Promise<boolean>;
  holdsSource(): Promise<boolean>;
}

export function syncRollout(options: { routes: readonly RouteSpec[]; state: StateStore; keyring: Keyring; source: (tenant: TenantId) => string }) {
  return {
    async targetsFor(tenantRaw: string, name: string, revision: number): Promise<RolloutTargetLike[]> {
      const tenant = parseTenantId(tenantRaw);
      const out: RolloutTargetLike[] = [];
      for (const route of options.routes) {
        if (route.source.name !== options.source(tenant) || !route.tenants.includes(tenant)) continue;
        for (const target of route.targets) {
          const single: RouteSpec = { ...route, targets: [target], conflict: "source-wins" };
          const look = async () => {
            const [source, copy, records] = await Promise.all([
              route.source.head(tenant, name),
              target.provider.head(tenant, name),
              options.state.records(route.name, target.provider.name, tenant),
            ]);
            return { source, copy, r: records.get(name) };
          };
          out.push({
            name: `${route.name}:${target.provider.name}`,
            async push() {
              const plan = await planRoute(single, options.state, { tenants: [tenant], names: [name] });
              const result = await applyPlan(single, plan, options.state, { keyring: options.keyring });
              const failure = result.failures[0];
              if (failure) throw new Error(`${failure.code}: ${failure.message}`);
            },
            // The target's own tags vouch for nothing (issue 16.1): the copy is there when the target's
            // current version is the one the (authenticated) record says this route wrote, for this
            // revision and the source's digest.
            async readBack() {
              const { source, copy, r } = await look();
              return r !== undefined && r.targetVersion === copy.version && r.sourceRevision === revision && r.sourceDigest === source.metadata[META.digest];
            },
            // The copy holds the source's current value (same digest), whichever revision carried it there:
            // a canary rollback's old value, already at a target the new revision never reached.
            async holdsSource() {
              const { source, copy, r } = await look();
              return r !== undefined && r.targetVersion === copy.version && r.sourceDigest === source.metadata[META.digest];
            },
          });
        }
      }
      return out;
    },
  };
}
