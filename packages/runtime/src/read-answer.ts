/**
 * What a read answers as JSON, in one shape for the CLI (`secrets get --json`) and the gateway
 * (`GET /v1/tenants/{tenant}/secrets/{name}`): the value as text when it is UTF-8 (else base64), which
 * store served it, and — when a mirror answered — when that mirror last synced the secret.
 */
import { isUtf8 } from "node:buffer";
import type { SecretValue } from "@polyvault/core";
import type { Runtime } from "./runtime.js";

export interface ReadAnswer {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
  readonly value?: string;
  readonly valueBase64?: string;
  readonly servedBy: string;
  readonly stale: boolean;
  readonly mirrorSyncedAt?: string;
  readonly updatedAt?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The answer for `value` (the caller still owns, and wipes, `value`). */
export async function readAnswer(rt: Runtime, value: SecretValue): Promise<ReadAnswer> {
  const bytes = value.bytes();
  const text = isUtf8(bytes) ? { value: bytes.toString("utf8") } : { valueBase64: bytes.toString("base64") };
  // Only routes record syncs: without any, there is no state to open for a mirror's freshness.
  const synced =
    value.stale && Object.keys(rt.config.routes ?? {}).length ? await (await rt.state()).lastSynced(value.servedBy, value.tenant, value.name) : undefined;
  return {
    tenant: value.tenant,
    name: value.name,
    version: value.version,
    ...text,
    servedBy: value.servedBy,
    stale: value.stale,
    ...(synced ? { mirrorSyncedAt: synced.toISOString() } : {}),
    ...(value.updatedAt ? { updatedAt: value.updatedAt.toISOString() } : {}),
    labels: value.labels,
  };
}
