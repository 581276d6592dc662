/**
 * The HTTP API's shapes, in zod: the same schemas validate requests (validation.ts) and become the
 * OpenAPI document (openapi.ts). Tenant ids and secret names use core's own schemas, so the gateway
 * accepts exactly what the CLI accepts.
 */
import { SecretNameSchema, TenantIdSchema } from "@polyvault/core";
import { z } from "zod";

const Labels = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "label keys are 1–64 letters, digits, '_', '.' or '-'" }),
    z.string().max(256, { error: "label values are at most 256 characters" }),
  )
  .refine((l) => Object.keys(l).length <= 32, { error: "at most 32 labels" })
  .meta({ description: "Descriptive labels (never secret).", maxProperties: 32 });

/**
 * JSON Schema for what the zod refinements check (zod's `.meta()` is merged into its JSON Schema output):
 * `has(k)` is "k is present", `none(...)` "none of these is present".
 */
const has = (k: string) => ({ required: [k] });
const none = (...ks: string[]) => ({ not: { anyOf: ks.map(has) } });

/** Core's secret-name rules as one ECMAScript pattern: no leading, trailing or doubled '/', no '.' or '..' segment. */
const SEGMENT = String.raw`(?!\.\.?(?:/|$))[A-Za-z0-9_.-]+`;
const NAME_PATTERN = `^${SEGMENT}(?:/${SEGMENT})*$`;

const Base64 = z.base64({ error: "valueBase64 must be standard base64" });

export const TenantParams = z.strictObject({ tenant: TenantIdSchema });
export const SecretParams = z.strictObject({
  tenant: TenantIdSchema,
  name: SecretNameSchema.meta({ description: "The secret's name; a '/' in it is sent as %2F.", pattern: NAME_PATTERN }),
});

/** PUT body: exactly one of `value` (UTF-8 text) and `valueBase64` (any bytes). */
export const PutSecretBody = z
  .strictObject({ value: z.string().optional(), valueBase64: Base64.optional(), labels: Labels.optional() })
  .refine((b) => (b.value === undefined) !== (b.valueBase64 === undefined), { error: "give exactly one of value and valueBase64" })
  .meta({ description: "Exactly one of value and valueBase64.", oneOf: [has("value"), has("valueBase64")] });

export const RotateBody = z
  .strictObject({
    value: z.string().optional(),
    valueBase64: Base64.optional(),
    length: z.int().min(8).max(4096).optional().meta({ description: "Length of a generated value (default 32)." }),
    alphabet: z.string().min(1).max(256).optional().meta({ description: "alphanumeric (default), hex, base64url, ascii, or the characters to use." }),
  })
  .refine((b) => !(b.value !== undefined && b.valueBase64 !== undefined), { error: "give at most one of value and valueBase64" })
  .refine((b) => (b.value === undefined && b.valueBase64 === undefined) || (b.length === undefined && b.alphabet === undefined), {
    error: "length and alphabet apply to a generated value only",
  })
  .meta({
    description: "A new value (value or valueBase64), or nothing to generate one; length and alphabet apply to a generated value only.",
    oneOf: [
      { ...has("value"), ...none("valueBase64", "length", "alphabet") },
      { ...has("valueBase64"), ...none("value", "length", "alphabet") },
      none("value", "valueBase64"),
    ],
  });

export const GetSecretQuery = z.strictObject({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, { error: "version must be a whole number from 1" })
    .transform(Number)
    .optional(),
});

export const DeleteSecretQuery = z.strictObject({
  purge: z.enum(["true", "false"], { error: "purge must be true or false" }).optional(),
});

export const SyncBody = z.strictObject({
  route: z.string().min(1).max(63).optional().meta({ description: "One route (default: every route); an unknown one is 400." }),
  tenant: TenantIdSchema.optional().meta({ description: "One tenant (default: every tenant the routes cover)." }),
});
export const ApplyBody = SyncBody.extend({
  confirm: z.boolean().optional().meta({ description: "Allow deleting more than a route's maxDeleteFraction of a target in one apply." }),
});

// --- responses (documentation only: fastify does not serialize through them) ----------------------

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const SecretResponse = z.object({
  tenant: z.string(),
  name: z.string(),
  version: z.int(),
  value: z.string().optional().meta({ description: "The value, when it is valid UTF-8." }),
  valueBase64: z.string().optional().meta({ description: "The value in base64, when it is not valid UTF-8." }),
  servedBy: z.string().meta({ description: "The provider that answered." }),
  stale: z.boolean().meta({ description: "true when a mirror answered because the primary was unavailable." }),
  mirrorSyncedAt: z.string().optional().meta({ description: "When the mirror that answered last synced this tenant (stale answers)." }),
  updatedAt: z.string().optional(),
  labels: z.record(z.string(), z.string()),
});

export const WriteResponse = z.object({ tenant: z.string(), name: z.string(), version: z.int() });
export const DeleteResponse = z.object({ tenant: z.string(), name: z.string(), deleted: z.literal(true), purged: z.boolean() });
export const ListResponse = z.object({
  tenant: z.string(),
  secrets: z.array(
    z.object({
      name: z.string(),
      version: z.int().optional(),
      updatedAt: z.string().optional(),
      managed: z.boolean(),
      labels: z.record(z.string(), z.string()),
      keyVersion: z.int().optional(),
    }),
  ),
});
export const VersionsResponse = z.object({
  tenant: z.string(),
  name: z.string(),
  versions: z.array(z.object({ version: z.int(), createdAt: z.string().optional(), current: z.boolean(), keyVersion: z.int() })),
});
export const PlanResponse = z.object({
  actions: z.array(
    z.object({
      route: z.string(),
      target: z.string(),
      tenant: z.string(),
      name: z.string(),
      action: z.enum(["create", "update", "delete", "noop", "drift", "conflict"]),
      reason: z.string(),
      apply: z.string(),
    }),
  ),
  summary: z.record(z.string(), z.int()),
});
export const ApplyResponse = z.object({
  ok: z.boolean(),
  runs: z.array(
    z.object({
      route: z.string(),
      runId: z.string().optional(),
      skipped: z.string().optional(),
      counts: z.record(z.string(), z.int()).optional(),
      failures: z.array(z.object({ target: z.string(), tenant: z.string(), name: z.string(), code: z.string(), message: z.string() })),
    }),
  ),
});
export const HealthResponse = z.object({ status: z.literal("ok"), uptimeSeconds: z.number(), version: z.string() });
export const ProvidersHealthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  providers: z.record(
    z.string(),
    z.object({
      type: z.string(),
      up: z.boolean(),
      latencyMs: z.number(),
      breaker: z.enum(["closed", "open", "half-open"]),
      detail: z.string().optional(),
      checkedAt: z.string(),
    }),
  ),
});
