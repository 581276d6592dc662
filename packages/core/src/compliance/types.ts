/**
 * What a compliance check reads. Core knows no configuration file and no audit implementation: the
 * caller (the CLI, the gateway) hands over the facts through these small, structural interfaces.
 */
import type { Role } from "../access/types.js";
import type { KeyVersionInfo } from "../crypto/keyring.js";
import type { BackupDrill } from "../backup/drills.js";
import type { TenantId } from "../names.js";
import type { Provider } from "../provider.js";
import type { PendingRotation } from "../rotation/pending.js";
import type { RotationPolicies } from "../rotation/policy.js";

export type Standard = "gdpr" | "soc2" | "hipaa" | "iso27001" | "nist-csf";
export const STANDARDS: readonly Standard[] = ["gdpr", "soc2", "hipaa", "iso27001", "nist-csf"];

/** The audit log, as the audit module exposes it. */
export interface AuditFacts {
  /** Verifies the hash chain and signed checkpoints. */
  verify(): Promise<{ ok: boolean; records?: number | undefined; firstBad?: number | string | undefined; reason?: string | undefined }>;
  /** Days records are kept before pruning. */
  readonly retentionDays: number;
  readonly oldestRecordAt?: Date | undefined;
}

export type GrantRole = Role;
/** polyvault.yaml's `access` (only what the checks read). */
export interface AccessPolicy {
  readonly principals: Readonly<
    Record<
      string,
      {
        readonly roles: ReadonlyArray<{ readonly role: GrantRole; readonly tenants: readonly string[]; readonly secrets?: readonly string[] | undefined }>;
        readonly breakGlass?: boolean | undefined;
      }
    >
  >;
}

export interface ComplianceSettings {
  /** Globs matched against each store's location (see residency.ts). Required by the residency control (GDPR, ISO 27001, NIST CSF). */
  readonly allowedRegions?: readonly string[] | undefined;
  /** A restore drill (restore or restore --dry-run) must be at most this old (default 90). */
  readonly backupDrillDays?: number | undefined;
  /** The audit log must keep records at least this long (default 365). */
  readonly auditRetentionDays?: number | undefined;
  /** The current key version must be at most this old (default 365). */
  readonly maxKeyAgeDays?: number | undefined;
  /** At most this many stored versions under one tenant key version (default 2^32). */
  readonly maxKeyUses?: number | undefined;
}

/** One place a tenant's data is stored. */
export interface ComplianceStore {
  readonly provider: Provider;
  readonly role: "primary" | "mirror" | "source" | "target";
  readonly encryption: "envelope" | "native";
  /** The route that writes it, for targets. */
  readonly route?: string | undefined;
  /** The route's nativeWaiver, for a native target. */
  readonly waiver?: string | undefined;
  /** Region or host, from providerLocation(). */
  readonly location: string;
}

export interface ComplianceInput {
  readonly tenant: TenantId;
  readonly now?: Date | undefined;
  /** The primary first. */
  readonly stores: readonly ComplianceStore[];
  readonly keyring: { readonly current: number; versions(): KeyVersionInfo[] };
  readonly policies: RotationPolicies;
  readonly pending?: readonly PendingRotation[] | undefined;
  /** Absent: access control is off. */
  readonly access?: AccessPolicy | undefined;
  /** Absent: no audit log is available to the check. */
  readonly audit?: AuditFacts | undefined;
  readonly drills: readonly BackupDrill[];
  readonly settings?: ComplianceSettings | undefined;
  /** The data directory (keys, file store, audit log), whose permissions are checked. */
  readonly dataDir?: string | undefined;
}

export interface ControlResult {
  readonly id: string;
  readonly title: string;
  readonly pass: boolean;
  readonly evidence: string;
  /** The clause of the standard this control serves. */
  readonly reference: string;
}

export interface ComplianceReport {
  readonly standard: Standard;
  readonly tenant: string;
  readonly pass: boolean;
  readonly controls: readonly ControlResult[];
}

export type ControlOutcome = { readonly pass: boolean; readonly evidence: string };
export type ControlFn = (input: ComplianceInput, now: Date) => Promise<ControlOutcome>;
