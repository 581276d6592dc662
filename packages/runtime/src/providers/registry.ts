/**
 * The provider registry: the one list of provider types. Each provider package exports a descriptor
 * (`@polyvault/provider-<x>/descriptor`: type, zod configuration schema, location, factory); from this
 * list come polyvaultConfig's `providers` union, the JSON Schema (docs/polyvault.schema.json), the
 * residency lookup and the lazy-loading factory. Adding a provider: its package, and one line below
 * (docs/architecture.md, "Adding a provider").
 */
import {
  DEFAULT_CONCURRENCY,
  InvalidInputError,
  type Provider,
  type ProviderBuildContext,
  type ProviderConfigSchema,
  type ProviderDescriptor,
} from "@polyvault/core";
import { awsProvider } from "@polyvault/provider-aws/descriptor";
import { azureProvider } from "@polyvault/provider-azure/descriptor";
import { fileProvider } from "@polyvault/provider-file/descriptor";
import { vaultProvider } from "@polyvault/provider-vault/descriptor";
import { z } from "zod";

export const BUILTIN_PROVIDERS = [fileProvider, awsProvider, azureProvider, vaultProvider] as const;

// biome-ignore lint/suspicious/noExplicitAny: a descriptor of any configuration type
type AnyDescriptor = ProviderDescriptor<any>;
type SchemasOf<T extends readonly AnyDescriptor[]> = { -readonly [K in keyof T]: T[K]["schema"] };

/** The descriptors' schemas, as the tuple z.discriminatedUnion wants (types kept for z.infer). */
export function schemasOf<T extends readonly [AnyDescriptor, ...AnyDescriptor[]]>(descriptors: T): SchemasOf<T> {
  return descriptors.map((d) => d.schema) as SchemasOf<T>;
}

/** Any provider's configuration, as the runtime sees it: a type, the common options, and its own. */
export interface AnyProviderConfig {
  readonly type: string;
  readonly [option: string]: unknown;
  readonly timeoutMs?: number | undefined;
  readonly retries?: number | undefined;
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number | undefined } | undefined;
  readonly concurrency?: number | undefined;
}

export class ProviderRegistry {
  readonly #byType = new Map<string, AnyDescriptor>();

  constructor(readonly descriptors: readonly [AnyDescriptor, ...AnyDescriptor[]]) {
    for (const d of descriptors) {
      if (this.#byType.has(d.type)) throw new TypeError(`provider registry: type ${d.type} is registered twice`);
      this.#byType.set(d.type, d);
    }
  }

  /** This registry and more provider types (e.g. one defined in a test or by an embedding application). */
  with(...more: AnyDescriptor[]): ProviderRegistry {
    return new ProviderRegistry([...this.descriptors, ...more]);
  }

  get types(): string[] {
    return [...this.#byType.keys()];
  }

  /** The zod schema of one entry of `providers:` in polyvault.yaml. */
  configSchema(): z.ZodType {
    return z.discriminatedUnion("type", this.descriptors.map((d) => d.schema as ProviderConfigSchema) as [ProviderConfigSchema, ...ProviderConfigSchema[]]);
  }

  #descriptor(config: AnyProviderConfig): AnyDescriptor {
    const d = this.#byType.get(config.type);
    if (!d) throw new InvalidInputError(`unknown provider type ${JSON.stringify(config.type)} (known: ${this.types.join(", ")})`);
    return d;
  }

  /** Where a configured store keeps its data (the residency control); "unknown" for an unknown type. */
  location(config: AnyProviderConfig): string {
    return this.#byType.get(config.type)?.location(config) ?? "unknown";
  }

  /** Calls in flight at once: the configured `concurrency`, else the provider type's default. */
  concurrency(config: AnyProviderConfig): number {
    return config.concurrency ?? this.#byType.get(config.type)?.defaultConcurrency ?? DEFAULT_CONCURRENCY;
  }

  /** Builds a provider; its package's SDK is imported only now. */
  create(config: AnyProviderConfig, context: ProviderBuildContext): Promise<Provider> {
    return this.#descriptor(config).create(config, context);
  }
}

export const defaultRegistry = new ProviderRegistry(BUILTIN_PROVIDERS);
