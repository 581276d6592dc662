/**
 * `migrate` as an operation (permission `sync` on the tenant): preflight, copy, verify, cutover — each
 * stage of packages/sync's migration, with the configuration rewrite of a cutover. Audited as `migrate`
 * before anything is read (write-ahead) and after, with the stage it reached and its counts; a stopped
 * migration's outcome is CHECK_FAILED (preflight, copy), UNAVAILABLE, or INTEGRITY (verify).
 */
import { InvalidInputError } from "@polyvault/core";
import { type ApplyResult, type Preflight, type VerifyResult, copy, preflight, verify } from "@polyvault/sync";
import { reverseRouteEdits, rewriteCutover } from "../config/rewrite.js";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, type OutcomeSummary, detailOf, runOperation, withProgress } from "./operation.js";

export interface MigrateOptions extends OperationOptions {
  readonly tenant: string;
  readonly from: string;
  readonly to: string;
  /** Read every secret back from the new provider and compare it with the old. */
  readonly verify?: boolean | undefined;
  /** After a clean verify, make the new provider the primary and the old one a mirror (rewrites the configuration file). */
  readonly cutover?: boolean | undefined;
  /** Only check; write nothing. */
  readonly preflightOnly?: boolean | undefined;
  /** Told once preflight has passed (before anything is written). */
  readonly onPreflight?: ((pre: Preflight) => void) | undefined;
}

export interface MigrationReport {
  /** Where it stopped: a problem in preflight, after preflight (--preflight-only), an incomplete copy, a failed verify, or done. */
  readonly stage: "preflight-failed" | "preflight-only" | "copy-incomplete" | "verify-failed" | "done";
  readonly tenant: string;
  readonly from: string;
  readonly to: string;
  preflight?: Preflight;
  copy?: { counts: ApplyResult["counts"]; failures: ApplyResult["failures"] };
  verify?: VerifyResult;
  /** `routes`: what happened to each route that fed the new primary from the old one (reversed or split). */
  cutover?: { config: string; backup: string; primary: string; mirrors: string[]; routes: Array<{ route: string; change: string }> };
}

export async function migrateTenant(rt: Runtime, options: MigrateOptions): Promise<MigrationReport> {
  const tenant = rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "migrate", permission: "sync", tenant, changes: !options.preflightOnly },
    () => migrateBody(rt, tenant, options),
    migrationSummary,
  );
}

async function migrateBody(rt: Runtime, tenant: string, options: MigrateOptions): Promise<MigrationReport> {
  if (options.from === options.to) throw new InvalidInputError("--from and --to name the same provider");
  if (options.cutover && !rt.loaded.path)
    throw new InvalidInputError("--cutover rewrites the configuration file, but this run uses the embedded default; pass --config FILE");
  // A cutover around a route it cannot turn around ("*" tenants) is refused before anything is copied.
  if (options.cutover) reverseRouteEdits(rt.config, tenant, options.from, options.to);
  const input = {
    tenant: rt.manager(tenant).tenant,
    from: rt.provider(options.from),
    to: rt.provider(options.to),
    state: await rt.state(),
    keyring: rt.keyring,
  };
  const report: MigrationReport = { stage: "done", tenant, from: options.from, to: options.to };
  const stop = (stage: MigrationReport["stage"]): MigrationReport => Object.assign(report, { stage });

  const pre = await preflight(input);
  report.preflight = pre;
  if (pre.problems.length) return stop("preflight-failed");
  options.onPreflight?.(pre);
  if (options.preflightOnly) return stop("preflight-only");

  const copied = await withProgress(options, `copy ${tenant}`, (bar) => copy(input, (d, t) => bar.update(d, t)));
  report.copy = { counts: copied.counts, failures: copied.failures };
  if (copied.failures.length || copied.counts.conflictsLeft) return stop("copy-incomplete");

  if (options.verify || options.cutover) {
    const checked = await withProgress(options, `verify ${tenant}`, (bar) => verify(input, (d, t) => bar.update(d, t)));
    report.verify = checked;
    if (checked.mismatches.length) return stop("verify-failed");
  }

  if (options.cutover) {
    const old = rt.config.tenants?.[tenant];
    const mirrors = [options.from, ...(old?.mirrors ?? []).filter((m) => m !== options.to && m !== options.from)];
    // Also turns around the routes that fed the new primary from the old one (issue 16.2; rewrite.ts).
    const { backup, routes } = rewriteCutover(rt.loaded.path as string, tenant, options.from, options.to, rt.options.env ?? process.env);
    report.cutover = { config: rt.loaded.path as string, backup, primary: options.to, mirrors, routes: [...routes] };
  }
  return report;
}

/** Whether a copy stopped on an unreachable provider (exit 5) rather than on a failure or conflict. */
export function copyUnavailable(r: MigrationReport): boolean {
  return (r.copy?.failures ?? []).some((f) => f.code === "UNAVAILABLE" || f.code === "THROTTLED");
}

function migrationSummary(r: MigrationReport): OutcomeSummary {
  const c = r.copy?.counts;
  const outcome = {
    "preflight-failed": "CHECK_FAILED",
    "preflight-only": "ok",
    "copy-incomplete": copyUnavailable(r) ? "UNAVAILABLE" : "CHECK_FAILED",
    "verify-failed": "INTEGRITY",
    done: "ok",
  }[r.stage];
  return {
    outcome,
    detail: detailOf({
      stage: r.stage,
      from: r.from,
      to: r.to,
      secrets: r.preflight?.secrets,
      problems: r.preflight?.problems.length,
      copied: c ? c.created + c.updated + c.repaired : undefined,
      alreadyThere: c?.stateRecorded,
      failed: r.copy?.failures.length,
      verified: r.verify?.checked,
      mismatches: r.verify?.mismatches.length,
      cutover: r.cutover ? true : undefined,
      routesReversed: r.cutover?.routes.length || undefined,
    }),
  };
}
