/**
 * The mass-delete (and mass-overwrite) guard. It counts what an attacker cannot plant: the secrets of a
 * target whose current version an authenticated record vouches for (Plan.live), and what the route did
 * within the window (the journal). Within any window a route may delete, in one target and tenant, at
 * most max(deleteFloor, maxDeleteFraction × live) distinct secrets, and overwrite at most
 * max(updateFloor, updateFraction × live) distinct secrets, without --confirm. Distinct: one secret
 * rotated every minute is one secret, a sweep over every secret is all of them. Only the actions over the bound are
 * refused; everything else in the plan still applies.
 */
import { GUARD_DEFAULTS, type Plan, type PlanAction, type RouteSpec } from "../plan/types.js";
import type { JournalAction, StateStore } from "../state/types.js";

export const isDelete = (a: PlanAction) => a.apply === "delete";
export const isOverwrite = (a: PlanAction) => a.apply === "write" && a.action !== "create";

/** The actions the guard refuses, each with the message that says why and how to allow it. */
export async function guardActions(route: RouteSpec, plan: Plan, state: StateStore, confirm: boolean): Promise<Map<PlanAction, string>> {
  const refused = new Map<PlanAction, string>();
  if (confirm) return refused;
  const limits = { ...GUARD_DEFAULTS, ...route.guard };
  const since = new Date(Date.now() - limits.windowMs);
  const minutes = Math.round(limits.windowMs / 60_000);
  const groups = new Map<string, PlanAction[]>();
  for (const a of plan.actions) {
    if (!isDelete(a) && !isOverwrite(a)) continue;
    const key = `${a.target}\u0000${a.tenant}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  for (const [key, actions] of groups) {
    const [target, tenant] = key.split("\u0000") as [string, string];
    const live = plan.live[key] ?? 0;
    const kinds: Array<[string, (a: PlanAction) => boolean, JournalAction, number, number]> = [
      ["delete", isDelete, "delete", limits.deleteFloor, route.maxDeleteFraction],
      ["overwrite", isOverwrite, "update", limits.updateFloor, limits.updateFraction],
    ];
    for (const [verb, pick, journal, floor, fraction] of kinds) {
      const mine = actions.filter(pick);
      if (!mine.length) continue;
      const names = await state.journalNames(route.name, target, tenant, [journal], since);
      const done = names.size;
      for (const a of mine) names.add(a.name);
      const allowed = Math.max(floor, Math.floor(fraction * live));
      if (names.size <= allowed) continue;
      const message =
        `refused by the mass-${verb === "delete" ? "delete" : "overwrite"} guard: route ${route.name} would ${verb} ${mine.length} of the ${live} verified secrets of tenant ${tenant} in ${target}` +
        ` (${done} in the last ${minutes} min; at most ${allowed} without --confirm); nothing was ${verb === "delete" ? "deleted" : "overwritten"} — check \`polyvault sync plan --route ${route.name}\`` +
        ` and run \`polyvault sync apply --route ${route.name} --confirm\` to allow it`;
      for (const a of mine) refused.set(a, message);
    }
  }
  return refused;
}
