/**
 * polyvault.yaml: the schema is the source of truth (types come from z.infer). Every object is strict:
 * an unknown key is an error, so a typo never silently falls back to a default.
 */
import { TENANT_ID_PATTERN } from "@polyvault/core";
import { BUILTIN_PROVIDERS, schemasOf } from "../providers/registry.js";
import { CanaryConfig, canaryRule } from "./rotation-schema.js";
import { z } from "zod";

const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, { error: "provider names are lowercase letters, digits, '-' or '_'" });
const tenantId = z.string().regex(TENANT_ID_PATTERN, { error: "tenant ids are lowercase letters, digits, '-' or '_' (1–63)" });

/** One entry of `providers:`, from the provider registry (each provider package declares its own options). */
export const ProviderConfig = z.discriminatedUnion("type", schemasOf(BUILTIN_PROVIDERS));

export const TenantConfig = z.strictObject({ primary: providerName, mirrors: z.array(providerName).optional() });

export const RouteTarget = z.union([providerName, z.strictObject({ provider: providerName, encryption: z.enum(["envelope", "native"]).optional() })]);
export const RouteConfig = z.strictObject({
  source: providerName,
  targets: z.array(RouteTarget).min(1),
  tenants: z.union([z.literal("*"), z.array(tenantId).min(1)]),
  schedule: z.string().min(1).optional(),
  prune: z.boolean().optional(),
  conflict: z.enum(["source-wins", "target-wins", "fail"]).optional(),
  /** Refuse to delete more than this fraction of a target's verified secrets (per window) without --confirm. */
  maxDeleteFraction: z.number().min(0).max(1).optional(),
  /** The rest of the mass-delete / mass-overwrite guard (docs/sync.md); defaults in @polyvault/sync's GUARD_DEFAULTS. */
  guard: z
    .strictObject({
      deleteFloor: z.number().int().min(0).optional(),
      updateFraction: z.number().min(0).optional(),
      updateFloor: z.number().int().min(0).optional(),
      windowMinutes: z.number().int().min(1).max(10_080).optional(),
    })
    .optional(),
  /** A `native` target stores plaintext: compliance needs this explicit waiver to pass encryption at rest. */
  nativeWaiver: z.string().min(1).optional(),
});

const Role = z.enum(["admin", "key-admin", "writer", "reader", "auditor", "operator"]);
export const AccessConfig = z.strictObject({
  principals: z.record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/),
    z.strictObject({
      tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "tokenSha256 must be 64 lowercase hex characters (sha256 of the token)" }),
      roles: z
        .array(z.strictObject({ role: Role, tenants: z.array(z.union([z.literal("*"), tenantId])).min(1), secrets: z.array(z.string().min(1)).optional() }))
        .min(1),
      breakGlass: z.boolean().optional(),
    }),
  ),
  /** Defaults 5 failures within 300 s lock for 900 s (LOCKOUT_DEFAULTS in core). */
  lockout: z
    .strictObject({
      maxFailures: z.number().int().min(1).optional(),
      windowSeconds: z.number().int().min(1).optional(),
      lockSeconds: z.number().int().min(1).optional(),
    })
    .optional(),
});

const seconds = z.number().int().min(1).max(86_400);
/** Access-anomaly rules (docs/anomaly-alerts.md): each threshold, and the learning period before alerting. */
export const AnomalyConfig = z.strictObject({
  learningHours: z
    .number()
    .min(0)
    .max(24 * 90)
    .optional(),
  newTenant: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  burst: z
    .strictObject({
      windowSeconds: seconds.optional(),
      factor: z.number().min(1).max(1000).optional(),
      minRequests: z.number().int().min(2).max(4096).optional(),
    })
    .optional(),
  sweep: z
    .strictObject({ windowSeconds: seconds.optional(), factor: z.number().min(1).max(1000).optional(), minNames: z.number().int().min(2).max(4096).optional() })
    .optional(),
  denials: z.strictObject({ count: z.number().int().min(1).max(4096).optional(), windowSeconds: seconds.optional() }).optional(),
  offHours: z.strictObject({ enabled: z.boolean().optional() }).optional(),
});

export const AlertsConfig = z.strictObject({
  webhook: z.url({ protocol: /^https?$/, error: "alerts.webhook must be an http:// or https:// URL" }),
  secretEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  violationThreshold: z.number().int().min(1).optional(),
  expiryDays: z.number().int().min(1).optional(),
  anomaly: AnomalyConfig.optional(),
});

export const RotationPolicy = z.strictObject({
  tenants: z.union([z.literal("*"), z.array(tenantId)]).optional(),
  /** A glob over secret names (picomatch: `*` within a `/` segment, `**` across). */
  secrets: z.string().min(1),
  intervalDays: z.number().int().min(1),
  /** An executable, or [executable, ...args], run without a shell; its stdout is the new value. */
  command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  length: z.number().int().min(8).max(4096).optional(),
  alphabet: z.string().min(1).optional(),
  strategy: z.enum(["blue-green", "gradual", "canary"]).optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  /** strategy canary: the targets that get the new value first and the check it must pass (rotation-schema.ts). */
  canary: CanaryConfig.optional(),
});
/** The audit log (docs/audit.md); every key optional, defaults in core's AUDIT_DEFAULTS. */
export const AuditConfig = z.strictObject({
  checkpointEvery: z.number().int().min(1).max(1_000_000).optional(),
  checkpointSeconds: z.number().int().min(1).max(86_400).optional(),
  retentionDays: z.number().int().min(1).optional(),
  fsync: z.enum(["always", "checkpoint"]).optional(),
  /** Keeps the newest signed checkpoint outside the data directory (docs/audit.md, "Witnesses"). */
  witness: z.strictObject({ file: z.string().min(1).optional() }).optional(),
  /** Scheduled export of the records since the last one, each file verifiable alone (docs/audit.md, "Scheduled export"). */
  export: z
    .strictObject({
      /** A cron pattern or `every <n><s|m|h|d>` (docs/scheduled-jobs.md). */
      schedule: z
        .string({ error: 'audit.export.schedule must be a cron pattern or "every <n><s|m|h|d>"' })
        .min(1, { error: "audit.export.schedule must not be empty" }),
      /** Where the export files and the cursor go: relative to the configuration file's directory (else the data directory). */
      dir: z.string({ error: "audit.export.dir must be a directory path" }).min(1, { error: "audit.export.dir must not be empty" }),
      format: z.enum(["ndjson", "json"], { error: "audit.export.format must be ndjson or json" }).optional(),
    })
    .optional(),
});

export const RotationConfig = z.strictObject({
  defaultIntervalDays: z.number().int().min(1).optional(),
  /** Days before its deadline that a secret shows as `due` (default 7). */
  dueSoonDays: z.number().int().min(0).optional(),
  /** canaryRule: strategy canary and its block go together (the same words as core's RotationPolicies). */
  policies: z.array(RotationPolicy.superRefine(canaryRule)).optional(),
});

export const ComplianceConfig = z.strictObject({
  /** Globs over store locations (aws region, azure vault host, vault host, "local"); GDPR's residency control. */
  allowedRegions: z.array(z.string().min(1)).optional(),
  backupDrillDays: z.number().int().min(1).optional(),
  auditRetentionDays: z.number().int().min(1).optional(),
  maxKeyAgeDays: z.number().int().min(1).optional(),
  maxKeyUses: z.number().int().min(1).optional(),
});

const DURATION_TEXT = /^[1-9][0-9]{0,6}[smhd]$/;
const duration = (what: string) =>
  z.string({ error: `${what} must be a duration: a whole number and s, m, h or d (90d, 12h, 1s)` }).regex(DURATION_TEXT, {
    error: `${what} must be a duration: a whole number and s, m, h or d (90d, 12h, 1s)`,
  });

/** Scheduled key rotation (docs/scheduled-jobs.md, "keys.rotate"). */
export const KeysConfig = z.strictObject({
  /** Rotate once the current key version is this old; then rewrap everything in the background. */
  rotateEvery: duration("keys.rotateEvery"),
  /** The background rewrap's budget: provider calls per second per store (default 20). */
  rewrapPerSecond: z
    .number({ error: "keys.rewrapPerSecond must be a number" })
    .positive({ error: "keys.rewrapPerSecond must be more than 0" })
    .max(10_000)
    .optional(),
});

/** Scheduled, verified backups (docs/backup.md, "Scheduled backups"); the schedule is checked in rules.ts. */
export const BackupsConfig = z.strictObject({
  /** A cron pattern, or `every <n><s|m|h|d>`. */
  schedule: z.string({ error: 'backups.schedule must be a cron pattern or "every <n><s|m|h|d>"' }).min(1, { error: "backups.schedule must not be empty" }),
  /** Where bundles go (relative: to the configuration file's directory, else the data directory). */
  dir: z.string({ error: "backups.dir must be a directory path" }).min(1, { error: "backups.dir must not be empty" }),
  /** Bundles kept per tenant, newest first; older ones are deleted after a verified run. */
  keep: z.number({ error: "backups.keep must be a whole number of at least 1" }).int({ error: "backups.keep must be a whole number of at least 1" }).min(1, {
    error: "backups.keep must be a whole number of at least 1",
  }),
  /** Which tenants (default every known tenant). */
  tenants: z.union([z.literal("*"), z.array(tenantId).min(1)]).optional(),
});

/** The whole file, for a given `providers:` entry schema (the registry's; see polyvaultConfigSchema in load.ts). */
export function polyvaultConfigSchema<P extends z.ZodType>(provider: P) {
  return z.strictObject({
    providers: z.record(providerName, provider).optional(),
    tenants: z.record(tenantId, TenantConfig).optional(),
    routes: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/), RouteConfig).optional(),
    access: AccessConfig.optional(),
    state: z
      .string()
      .refine((v) => v === "sqlite" || /^postgres(ql)?:\/\/./i.test(v), { error: 'state must be "sqlite" or a postgres:// or postgresql:// URL' })
      .optional(),
    alerts: AlertsConfig.optional(),
    audit: AuditConfig.optional(),
    rotation: RotationConfig.optional(),
    compliance: ComplianceConfig.optional(),
    keys: KeysConfig.optional(),
    backups: BackupsConfig.optional(),
  });
}

export const PolyvaultConfig = polyvaultConfigSchema(ProviderConfig);

export type PolyvaultConfig = z.infer<typeof PolyvaultConfig>;
export type ProviderConfig = z.infer<typeof ProviderConfig>;
export type RouteConfig = z.infer<typeof RouteConfig>;
