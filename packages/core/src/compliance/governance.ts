/**
 * Controls over how secrets are looked after: rotation within policy, the audit log intact and kept
 * long enough, and a restore drill done recently.
 */
import { lastDrill } from "../backup/drills.js";
import { DAY_MS, rotationSchedule } from "../rotation/schedule.js";
import type { ComplianceInput, ControlOutcome } from "./types.js";

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const DEFAULT_BACKUP_DRILL_DAYS = 90;

const few = (names: string[]): string => names.slice(0, 5).join(", ") + (names.length > 5 ? `, … ${names.length - 5} more` : "");

export async function rotationAge(input: ComplianceInput, now: Date): Promise<ControlOutcome> {
  const primary = input.stores.find((s) => s.role === "primary");
  if (!primary) return { pass: false, evidence: "the tenant has no primary store" };
  const schedule = await rotationSchedule({ tenant: input.tenant, provider: primary.provider, policies: input.policies, now, pending: input.pending });
  const overdue = schedule.filter((s) => s.status === "overdue").map((s) => s.name);
  const policy = `default interval ${input.policies.defaultIntervalDays} days`;
  if (overdue.length)
    return {
      pass: false,
      evidence: `${overdue.length} of ${schedule.length} secret(s) past their rotation deadline (${policy}): ${few(overdue)}; run \`polyvault rotation run\``,
    };
  return { pass: true, evidence: `${schedule.length} secret(s), none past its rotation deadline (${policy})` };
}

export async function auditChain(input: ComplianceInput): Promise<ControlOutcome> {
  if (!input.audit) return { pass: false, evidence: "no audit log is available to this check (audit is not configured)" };
  const r = await input.audit.verify();
  if (r.ok) return { pass: true, evidence: `hash chain and signed checkpoints verify${r.records === undefined ? "" : ` (${r.records} records)`}` };
  return {
    pass: false,
    evidence: `audit log does not verify${r.firstBad === undefined ? "" : `: first bad record ${r.firstBad}`}${r.reason ? ` (${r.reason})` : ""}`,
  };
}

export async function auditRetention(input: ComplianceInput): Promise<ControlOutcome> {
  const required = input.settings?.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
  if (!input.audit) return { pass: false, evidence: "no audit log is available to this check (audit is not configured)" };
  const { retentionDays, oldestRecordAt } = input.audit;
  const oldest = oldestRecordAt ? `; oldest record ${oldestRecordAt.toISOString()}` : "";
  return { pass: retentionDays >= required, evidence: `records kept ${retentionDays} day(s), policy requires at least ${required}${oldest}` };
}

export async function backupDrill(input: ComplianceInput, now: Date): Promise<ControlOutcome> {
  const days = input.settings?.backupDrillDays ?? DEFAULT_BACKUP_DRILL_DAYS;
  const last = lastDrill(input.drills, input.tenant);
  if (!last)
    return {
      pass: false,
      evidence: `no restore drill recorded for this tenant (run \`polyvault backup restore FILE --dry-run\`; required every ${days} days)`,
    };
  const age = Math.floor((now.getTime() - new Date(last.at).getTime()) / DAY_MS);
  const what = `last drill ${last.at} (${last.kind}, ${last.secrets} secrets from a backup of ${last.bundleCreatedAt}), ${age} day(s) ago`;
  return { pass: age <= days, evidence: `${what}; required within ${days} days` };
}
