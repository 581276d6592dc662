/**
 * A provider descriptor: everything the runtime needs to know about a provider type, exported by its
 * package (`@polyvault/provider-<x>/descriptor`, which imports no SDK). The runtime builds the
 * configuration union, the JSON Schema of polyvault.yaml, the residency lookup and a lazy-loading
 * factory from the list of descriptors (docs/architecture.md, "Adding a provider").
 */
import { z } from "zod";
import type { CommonProviderOptions, Provider } from "./provider.js";
import { RETRIES_RANGE, TIMEOUT_RANGE } from "./retry/policy.js";

/** Options every provider accepts in polyvault.yaml (docs/configuration.md, "Provider options"). */
export const COMMON_PROVIDER_CONFIG = {
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, { error: "prefix: letters, digits, '-' or '_' (1–32)" })
    .optional(),
  timeoutMs: z.number().int().min(TIMEOUT_RANGE.min).max(TIMEOUT_RANGE.max).optional(),
  retries: z.number().int().min(RETRIES_RANGE.min).max(RETRIES_RANGE.max).optional(),
  rateLimit: z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive().optional() }).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
};

/** Calls in flight to a provider when neither its configuration nor its descriptor says otherwise. */
export const DEFAULT_CONCURRENCY = 16;

/** The configuration schema of a provider type: `type`, its own options, the common ones; strict. */
export function providerConfigSchema<T extends string, S extends z.ZodRawShape>(type: T, own: S) {
  return z.strictObject({ type: z.literal(type), ...own, ...COMMON_PROVIDER_CONFIG });
}

/** What a factory gets besides the configuration. */
export interface ProviderBuildContext {
  /** The instance's configured name. */
  readonly name: string;
  /** The data directory (a file store's default location). */
  readonly dataDir: string;
  /** Where relative paths in the configuration resolve (the configuration file's directory). */
  readonly baseDir: string;
  /** Overrides of the configured deadline and retries (failover reads use a short one, no retries). */
  readonly timeoutMs?: number | undefined;
  readonly retries?: number | undefined;
}

/** The schema of one provider type's configuration: a strict object discriminated by `type`. */
export type ProviderConfigSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape, z.core.$strict>;

export interface ProviderDescriptor<S extends ProviderConfigSchema = ProviderConfigSchema> {
  readonly type: z.infer<S>["type"];
  /** The zod schema of its configuration (build it with providerConfigSchema). */
  readonly schema: S;
  /** Where the data lives, for the residency control: a region, a host, or "local". */
  location(config: z.infer<S>): string;
  /**
   * Calls in flight at once when `concurrency` is not configured (DEFAULT_CONCURRENCY when absent): a
   * service whose write takes two calls (Vault's KV v2: the value, then custom_metadata) keeps as many
   * secrets in flight as the others with twice the calls.
   */
  readonly defaultConcurrency?: number | undefined;
  /** Builds an instance; imports the provider's SDK only when called. */
  create(config: z.infer<S>, context: ProviderBuildContext): Promise<Provider>;
}

/** Declares a descriptor (checks that its `type` is its schema's literal). */
export function defineProvider<S extends ProviderConfigSchema>(descriptor: ProviderDescriptor<S>): ProviderDescriptor<S> {
  if (descriptor.schema.shape.type.value !== descriptor.type)
    throw new TypeError(`provider descriptor ${descriptor.type}: schema type is not ${descriptor.type}`);
  return descriptor;
}

/** The deadline and retries to build with: the context's overrides, else the configuration's. */
export function commonOptions(
  config: { prefix?: string | undefined; timeoutMs?: number | undefined; retries?: number | undefined },
  ctx: ProviderBuildContext,
) {
  return { name: ctx.name, prefix: config.prefix, timeoutMs: ctx.timeoutMs ?? config.timeoutMs, retries: ctx.retries ?? config.retries };
}

/** A URL's host, lower-cased ("unknown" when it is not a URL): the location of a store known by its URL. */
export function hostOf(url: string | undefined): string {
  try {
    return url ? new URL(url).hostname.toLowerCase() : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * A factory's options from its configuration type: the provider's own options as configured (declared
 * once, in its zod schema) plus the common ones; `rateLimit` and `concurrency` belong to the runtime's gate.
 */
export type ProviderOptionsOf<C> = Omit<C, "type" | keyof typeof COMMON_PROVIDER_CONFIG> & CommonProviderOptions;
