/**
 * Migration of one tenant from provider P to provider Q: preflight (every problem listed before any
 * write), copy (a one-off route through the same planner and journalled applier: resumable), verify
 * (read back every secret from Q, decrypt it and compare its HMAC digest with P's), and cutover (the
 * configuration rewrite is the caller's: see the CLI's `migrate --cutover`).
 */
import { ENVELOPE_OVERHEAD, type Keyring, META, type Provider, type TenantId, digest, listAll, open } from "@polyvault/core";
import { type ApplyResult, applyPlan } from "./apply/applier.js";
import { planRoute } from "./plan/planner.js";
import type { RouteSpec } from "./plan/types.js";
import type { StateStore } from "./state/types.js";

export interface MigrationProblem {
  readonly name: string;
  readonly problem: "name" | "collision" | "size" | "unreachable" | "conflict";
  readonly detail: string;
}

export interface Preflight {
  readonly secrets: number;
  readonly problems: MigrationProblem[];
}

export interface MigrateInput {
  readonly tenant: TenantId;
  readonly from: Provider;
  readonly to: Provider;
  readonly state: StateStore;
  readonly keyring: Keyring;
}

export const migrationRoute = (i: MigrateInput): RouteSpec => ({
  name: `migrate:${i.tenant}:${i.from.name}->${i.to.name}`,
  source: i.from,
  targets: [{ provider: i.to, encryption: "envelope" }],
  tenants: [i.tenant],
  prune: false,
  conflict: "fail",
  maxDeleteFraction: 0,
});

export async function preflight(i: MigrateInput): Promise<Preflight> {
  const problems: MigrationProblem[] = [];
  const health = await i.to.health();
  if (!health.ok) problems.push({ name: "*", problem: "unreachable", detail: `${i.to.name} is not reachable: ${health.detail ?? "health check failed"}` });
  const natives = new Map<string, string>();
  let secrets = 0;
  for await (const h of listAll(i.from, i.tenant)) {
    if (!h.managed) continue;
    secrets++;
    const fit = i.to.nameFits(i.tenant, h.name);
    if (!fit.ok) {
      problems.push({ name: h.name, problem: "name", detail: `${i.to.name} cannot hold this name: ${fit.reason}` });
      continue;
    }
    // Case-folded: a service that compares names case-insensitively must not see two as one.
    const key = fit.nativeName.toLowerCase();
    const other = natives.get(key);
    if (other !== undefined)
      problems.push({ name: h.name, problem: "collision", detail: `maps onto the same ${i.to.name} name as ${JSON.stringify(other)} (${fit.nativeName})` });
    else natives.set(key, h.name);
    const size = Number(h.metadata[META.size] ?? Number.NaN);
    const stored = Number.isFinite(size) ? size : (await i.from.get(i.tenant, h.name)).value.length;
    if (stored > i.to.capabilities.maxValueBytes) {
      problems.push({
        name: h.name,
        problem: "size",
        detail: `its ${stored - ENVELOPE_OVERHEAD}-byte value (${stored} encrypted) is over ${i.to.name}'s limit of ${i.to.capabilities.maxValueBytes} bytes`,
      });
    }
  }
  if (!health.ok) return { secrets, problems };
  const names = new Set(natives.values());
  for await (const h of listAll(i.to, i.tenant)) {
    if (!h.managed && names.has(h.name)) {
      problems.push({ name: h.name, problem: "collision", detail: `${i.to.name} already holds a secret Polyvault does not manage at this name` });
    }
  }
  return { secrets, problems };
}

export async function copy(i: MigrateInput, onProgress?: (done: number, total: number) => void): Promise<ApplyResult> {
  const route = migrationRoute(i);
  const plan = await planRoute(route, i.state);
  return applyPlan(route, plan, i.state, { keyring: i.keyring, onProgress });
}

export interface VerifyResult {
  readonly checked: number;
  readonly mismatches: Array<{ name: string; detail: string }>;
}

/** Reads every secret back from the target, decrypts it and compares its digest with the source's. */
export async function verify(i: MigrateInput, onProgress?: (done: number, total: number) => void): Promise<VerifyResult> {
  const heads = [];
  for await (const h of listAll(i.from, i.tenant)) if (h.managed) heads.push(h);
  const mismatches: Array<{ name: string; detail: string }> = [];
  for (const [n, h] of heads.entries()) {
    try {
      const got = await i.to.get(i.tenant, h.name);
      const revision = Number(h.metadata[META.revision]);
      const opened = open(i.keyring, { tenant: i.tenant, name: h.name, expectedRevision: revision }, got.value);
      const d = digest(i.keyring, i.tenant, h.name, opened.plaintext);
      opened.plaintext.fill(0);
      got.value.fill(0);
      if (d !== h.metadata[META.digest]) mismatches.push({ name: h.name, detail: "value differs from the source" });
    } catch (err) {
      mismatches.push({ name: h.name, detail: `${(err as { code?: string }).code ?? "ERROR"}: ${(err as Error).message}` });
    }
    onProgress?.(n + 1, heads.length);
  }
  return { checked: heads.length, mismatches };
}
