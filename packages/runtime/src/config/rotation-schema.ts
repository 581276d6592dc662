/**
 * `rotation.policies[].canary` (docs/rotation.md, "Canary"): the canary targets that get a new value
 * first and the check command it must pass before the other targets get it. The rule that ties it to
 * `strategy: canary` is core's canaryProblem(), so the configuration and the library say the same words;
 * that a canary target is a sync target is checked across the file (canaryTargetProblems, rules.ts).
 */
import { canaryProblem } from "@polyvault/core";
import { z } from "zod";

const argv = z.union([
  z.string().min(1, { error: "a canary policy needs a check command (an executable, or [executable, ...args])" }),
  z.array(z.string().min(1)).min(1, { error: "a canary policy needs a check command (an executable, or [executable, ...args])" }),
]);

export const CanaryConfig = z.strictObject({
  /** Provider names, each a target of a route from the tenant's primary: they get the new value first. */
  targets: z.array(z.string().min(1)).min(1, { error: "name at least one canary target" }),
  /** Run without a shell once the canary targets hold the new value; exit 0 passes. Receives the value on stdin. */
  check: argv.optional(),
  /** Give the check the value in this environment variable (not on stdin). Never argv. */
  valueEnv: z.string().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
});

/** Missing check, canary block without strategy canary (or the reverse), bad valueEnv: `path: message` issues. */
export function canaryRule(policy: { strategy?: string | undefined; canary?: z.infer<typeof CanaryConfig> | undefined }, ctx: z.RefinementCtx): void {
  const c = policy.canary;
  // An empty target list or check is the schema's own issue (with the same words): not reported twice.
  if (c && (c.targets.length === 0 || (c.check !== undefined && c.check.length === 0))) return;
  const problem = canaryProblem({
    strategy: policy.strategy as "canary" | undefined,
    canary: c,
  });
  if (!problem) return;
  const at = problem.indexOf(": ");
  ctx.addIssue({ code: "custom", path: problem.slice(0, at).split("."), message: problem.slice(at + 2) });
}

/** Each canary target must be a provider that some route writes to. */
export function canaryTargetProblems(config: {
  providers?: Record<string, unknown> | undefined;
  routes?: Record<string, { targets: ReadonlyArray<string | { provider: string }> }> | undefined;
  rotation?: { policies?: ReadonlyArray<{ canary?: { targets: readonly string[] } | undefined }> | undefined } | undefined;
}): string[] {
  const routed = new Set(Object.values(config.routes ?? {}).flatMap((r) => r.targets.map((t) => (typeof t === "string" ? t : t.provider))));
  const out: string[] = [];
  for (const [i, p] of (config.rotation?.policies ?? []).entries()) {
    for (const [j, t] of (p.canary?.targets ?? []).entries()) {
      if (!(t in (config.providers ?? {}))) out.push(`rotation.policies.${i}.canary.targets.${j}: no provider named '${t}' in providers`);
      else if (!routed.has(t))
        out.push(`rotation.policies.${i}.canary.targets.${j}: '${t}' is not the target of any route; a canary target must be a sync target`);
    }
  }
  return out;
}
