/** Cross-field rules: small functions that push `path: message` problems. */
import { parseSchedule } from "../jobs/schedule.js";
import { encryptionProblems } from "../stores.js";
import { canaryTargetProblems } from "./rotation-schema.js";
import type { PolyvaultConfig } from "./schema.js";

export function crossFieldProblems(config: PolyvaultConfig): string[] {
  const problems: string[] = [];
  const providers = new Set(Object.keys(config.providers ?? {}));
  const known = (name: string) => providers.has(name);
  for (const [t, tc] of Object.entries(config.tenants ?? {})) {
    if (!known(tc.primary)) problems.push(`tenants.${t}.primary: no provider named '${tc.primary}' in providers`);
    for (const [i, m] of (tc.mirrors ?? []).entries()) {
      if (!known(m)) problems.push(`tenants.${t}.mirrors.${i}: no provider named '${m}' in providers`);
      if (m === tc.primary) problems.push(`tenants.${t}.mirrors.${i}: '${m}' is already the primary`);
    }
  }
  for (const [r, rc] of Object.entries(config.routes ?? {})) {
    if (!known(rc.source)) problems.push(`routes.${r}.source: no provider named '${rc.source}' in providers`);
    const seen = new Set<string>();
    for (const [i, target] of rc.targets.entries()) {
      const name = typeof target === "string" ? target : target.provider;
      if (!known(name)) problems.push(`routes.${r}.targets.${i}: no provider named '${name}' in providers`);
      if (name === rc.source) problems.push(`routes.${r}.targets.${i}: '${name}' is the route's source`);
      if (seen.has(name)) problems.push(`routes.${r}.targets.${i}: '${name}' is listed twice`);
      seen.add(name);
      // A route into a tenant's primary would overwrite (and with prune, delete) what the primary holds.
      const tenants = rc.tenants === "*" ? Object.keys(config.tenants ?? {}) : rc.tenants;
      for (const t of tenants) {
        if (config.tenants?.[t]?.primary === name)
          problems.push(
            `routes.${r}.targets.${i}: '${name}' is the primary of tenant ${t}; a route must not write into a tenant's primary (reverse the route, or take ${t} out of it)`,
          );
      }
    }
  }
  problems.push(...encryptionProblems(config));
  problems.push(...canaryTargetProblems(config));
  // Job schedules: a cron pattern croner accepts, or `every <n><unit>` (jobs/schedule.ts).
  const schedules: Array<[string, string | undefined]> = [
    ["backups.schedule", config.backups?.schedule],
    ["audit.export.schedule", config.audit?.export?.schedule],
  ];
  for (const [where, text] of schedules) {
    if (text === undefined) continue;
    try {
      parseSchedule(text, where);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}
