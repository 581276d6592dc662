/**
 * Tenant ids and secret names. Both end up in paths, provider names, tags and key-derivation input, so
 * they are validated before anything else happens, with an error that says exactly what is wrong.
 */
import { z } from "zod";
import { keepBounded } from "./bounded-map.js";
import { InvalidInputError } from "./errors.js";

export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const SECRET_NAME_MAX = 256;

export const TenantIdSchema = z
  .string({ error: "tenant id must be a string" })
  .min(1, { error: "tenant id is empty" })
  .max(63, { error: "tenant id is longer than 63 characters" })
  .regex(TENANT_ID_PATTERN, {
    error: "tenant id must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
  })
  .brand<"TenantId">();
export type TenantId = z.infer<typeof TenantIdSchema>;

const NAME_CHARS = /^[A-Za-z0-9_.\-/]+$/;

export const SecretNameSchema = z
  .string({ error: "secret name must be a string" })
  .min(1, { error: "secret name is empty" })
  .max(SECRET_NAME_MAX, { error: `secret name is longer than ${SECRET_NAME_MAX} characters` })
  .regex(NAME_CHARS, { error: "secret name may only contain letters, digits, '_', '-', '.' and '/'" })
  .refine((n) => !n.startsWith("/") && !n.endsWith("/"), { error: "secret name must not start or end with '/'" })
  .refine((n) => !n.includes("//"), { error: "secret name must not contain an empty segment ('//')" })
  .refine((n) => n.split("/").every((s) => s !== ".." && s !== "."), {
    error: "secret name must not contain a '.' or '..' segment",
  });
export type SecretName = z.infer<typeof SecretNameSchema>;

function describe(value: unknown): string {
  if (typeof value !== "string") return typeof value;
  // Names are not secret, but an attacker-controlled string should still not flood a terminal.
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

export function parseTenantId(value: unknown): TenantId {
  const r = TenantIdSchema.safeParse(value);
  if (!r.success) throw new InvalidInputError(`invalid tenant id ${describe(value)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

/**
 * Names that passed validation lately: a hot secret's name is not run through the schema on every read.
 * Only valid names are kept (a string is immutable, so it stays valid); bounded, oldest out first.
 */
const validNames = new Map<string, true>();
const VALID_NAMES_KEPT = 10_000;

export function parseSecretName(value: unknown): SecretName {
  if (typeof value === "string" && validNames.has(value)) return value as SecretName;
  const r = SecretNameSchema.safeParse(value);
  if (!r.success) throw new InvalidInputError(`invalid secret name ${describe(value)}: ${r.error.issues[0]?.message}`);
  keepBounded(validNames, r.data, true, VALID_NAMES_KEPT);
  return r.data;
}
