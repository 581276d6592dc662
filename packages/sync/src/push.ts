/**
 * What a push-on-write left undone, in words that are true: whether a later run will retry it (a
 * retryable failure or a held lease on a scheduled route), or whether it stays undone until a person
 * acts (a guard refusal, a name or value the target cannot hold, a policy that leaves drift alone).
 */
import type { RouteRun } from "./engine.js";
import type { RouteSpec } from "./plan/types.js";

const RETRYABLE = new Set(["UNAVAILABLE", "THROTTLED", "CONFLICT"]);

export interface PushWarning {
  readonly name: string;
  readonly message: string;
  /** A later run will do it without anyone acting. */
  readonly retried: boolean;
}

export function pushWarnings(runs: readonly RouteRun[], routes: readonly RouteSpec[]): PushWarning[] {
  const out: PushWarning[] = [];
  const spec = (route: string) => routes.find((r) => r.name === route);
  const later = (route: string) =>
    spec(route)?.schedule
      ? `the next scheduled run of route ${route} will retry it`
      : `route ${route} has no schedule: run \`polyvault sync apply --route ${route}\``;
  for (const run of runs) {
    if (run.skipped) {
      out.push({ name: "*", message: `it was not pushed: ${run.skipped}; ${later(run.route)}`, retried: Boolean(spec(run.route)?.schedule) });
      continue;
    }
    for (const f of run.result?.failures ?? []) {
      if (f.code === "CHECK_FAILED") out.push({ name: f.name, message: `route ${run.route} did not apply it to ${f.target}: ${f.message}`, retried: false });
      else if (RETRYABLE.has(f.code))
        out.push({
          name: f.name,
          message: `pushing it to ${f.target} failed (${f.code}: ${f.message}); ${later(run.route)}`,
          retried: Boolean(spec(run.route)?.schedule),
        });
      else
        out.push({
          name: f.name,
          message: `route ${run.route} refused to copy it to ${f.target} (${f.code}: ${f.message}); no sync will copy it until that is fixed`,
          retried: false,
        });
    }
    for (const a of run.plan?.actions ?? []) {
      if (a.apply !== "none" || (a.action !== "conflict" && a.action !== "drift")) continue;
      const reason = a.reason.replace(/^target cannot hold it/, `${a.target} cannot hold it`);
      out.push({
        name: a.name,
        message: `route ${run.route} did not copy it to ${a.target}: ${reason}; no sync will copy it until that changes`,
        retried: false,
      });
    }
  }
  return out;
}
