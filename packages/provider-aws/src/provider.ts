/** The AWS Secrets Manager provider: options, capabilities, and the Provider methods. */
import { ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { type HealthReport, InvalidInputError, type Provider, type ProviderCapabilities, type ProviderOptionsOf, retryPolicy } from "@polyvault/core";
import { AwsContext } from "./context.js";
import type { AwsConfig } from "./descriptor.js";
import { AWS_NAME_RULE, createAwsNameCodec } from "./names.js";
import { BATCH_GET_MAX, MAX_PAGE, get, getMany, list, versions } from "./read.js";
import { MAX_VALUE_BYTES, put, remove } from "./write.js";

/** The configured options (descriptor.ts, declared once there) and the common ones. */
export type AwsProviderOptions = ProviderOptionsOf<AwsConfig>;

export const AWS_CAPABILITIES: ProviderCapabilities = {
  maxValueBytes: MAX_VALUE_BYTES,
  versions: true,
  checkAndSet: false, // no conditional write in the API: put() compares the head first (not atomic)
  softDelete: true,
  batchGet: BATCH_GET_MAX,
  maxPageSize: MAX_PAGE,
  nameRule: AWS_NAME_RULE,
};

function intIn(label: string, value: number | undefined, min: number, max: number, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new InvalidInputError(`aws: ${label} must be an integer from ${min} to ${max} (got ${v})`);
  return v;
}

export function createAwsProvider(options: AwsProviderOptions): Provider {
  if (!options.region) throw new InvalidInputError("aws: region is required (e.g. us-east-1)");
  const policy = retryPolicy(options.name, options);
  const recoveryWindowDays = intIn("recoveryWindowDays", options.recoveryWindowDays, 7, 30, 30);
  const codec = createAwsNameCodec(options.prefix ?? "polyvault");
  const ctx = new AwsContext(options.name, codec, { region: options.region, endpoint: options.endpoint, credentials: options.credentials }, policy);

  return {
    name: options.name,
    type: "aws",
    capabilities: AWS_CAPABILITIES,
    nameFits: (tenant, name) => codec.encode(tenant, name),
    list: (tenant, o) => list(ctx, tenant, o),
    head: (tenant, name) => ctx.head(ctx.op(), tenant, name, `head ${tenant}/${name}`),
    get: (tenant, name, o) => get(ctx, tenant, name, o?.version),
    getMany: (tenant, names) => getMany(ctx, tenant, names),
    put: (tenant, name, value, o) => put(ctx, tenant, name, value, o),
    delete: (tenant, name, o) => remove(ctx, tenant, name, recoveryWindowDays, o),
    versions: (tenant, name) => versions(ctx, tenant, name),
    async health(): Promise<HealthReport> {
      const start = performance.now();
      try {
        // One attempt, no retries: a health check reports the state now.
        await ctx.op().call("health", (abortSignal) => ctx.sm().send(new ListSecretsCommand({ MaxResults: 1 }), { abortSignal }), 0);
        return { ok: true, latencyMs: Math.round(performance.now() - start) };
      } catch (err) {
        return { ok: false, latencyMs: Math.round(performance.now() - start), detail: (err as Error).message };
      }
    },
    async close() {
      ctx.close();
    },
  };
}
