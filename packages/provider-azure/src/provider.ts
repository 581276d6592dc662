/**
 * The Azure Key Vault provider: Provider's operations on top of the SecretClient, each under one
 * deadline (timeoutMs) with bounded retries (call.ts), names mapped by names.ts, values by values.ts,
 * ownership and metadata in tags (tags.ts), writes and deletes in writes.ts, listing in list.ts.
 */
import {
  type DeleteOptions,
  InvalidInputError,
  type HealthReport,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type Provider,
  type ProviderCapabilities,
  type PutOptions,
  type RetryPolicy,
  type SecretHead,
  type StoredSecret,
  type TenantId,
  type VersionInfo,
  retryPolicy,
} from "@polyvault/core";
import { withDeadline } from "./call.js";
import { type ClientHandle, type ClientSettings, checkVaultUrl, createClient } from "./client.js";
import { AZURE_MAX_PAGE, listPage } from "./list.js";
import { AZURE_NAME_RULE, type AzureNameCodec, createAzureNameCodec } from "./names.js";
import { type Op, fetchSecret, headOf, makeOp } from "./ops.js";
import { withCallStore } from "./pipeline.js";
import { buildTags } from "./tags.js";
import { MAX_VALUE_BYTES, decodeValue, encodeValue } from "./values.js";
import { deleteSecret, putSecret } from "./writes.js";

export interface AzureSettings extends ClientSettings {
  readonly name: string;
  readonly prefix?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly retries?: number | undefined;
  /** Most reads getMany() runs at once (default 8). */
  readonly getManyConcurrency?: number | undefined;
  /** Poll interval for Key Vault's long-running delete and recover (default 250 ms). */
  readonly pollIntervalMs?: number | undefined;
}

/** Key Vault version ids are 32 hex digits; anything else cannot name a version (and Lowkey answers it with 500). */
const VERSION_ID = /^[0-9a-fA-F]{32}$/;
const q = JSON.stringify;

export class AzureKeyVaultProvider implements Provider {
  readonly type = "azure";
  readonly name: string;
  readonly capabilities: ProviderCapabilities = {
    maxValueBytes: MAX_VALUE_BYTES,
    versions: true,
    checkAndSet: false,
    softDelete: true,
    batchGet: 1,
    maxPageSize: AZURE_MAX_PAGE,
    nameRule: AZURE_NAME_RULE,
  };
  readonly #settings: AzureSettings;
  readonly #codec: AzureNameCodec;
  readonly #policy: RetryPolicy;
  #handle: Promise<ClientHandle> | undefined;

  constructor(settings: AzureSettings) {
    checkVaultUrl(settings.vaultUrl);
    this.name = settings.name;
    this.#settings = settings;
    this.#codec = createAzureNameCodec(settings.prefix);
    this.#policy = retryPolicy(settings.name, settings);
  }

  nameFits(tenant: TenantId, name: string) {
    return this.#codec.encode(tenant, name);
  }

  /** The native name, or InvalidInputError naming the secret and the rule it breaks. */
  #native(tenant: TenantId, name: string): string {
    const fit = this.#codec.encode(tenant, name);
    if (!fit.ok) throw new InvalidInputError(`azure provider ${this.name} cannot hold secret name ${q(name)} in tenant ${q(tenant)}: ${fit.reason}`);
    return fit.nativeName;
  }

  async #run<T>(what: string, fn: (op: Op) => Promise<T>, timeoutMs = this.#policy.timeoutMs): Promise<T> {
    this.#handle ??= createClient(this.#settings);
    const { client } = await this.#handle;
    return withDeadline(timeoutMs, (deadline) => fn(makeOp(client, deadline, this.#policy, this.name, what, this.#settings.pollIntervalMs ?? 250)));
  }

  async #read(op: Op, tenant: TenantId, name: string, native: string, version?: string): Promise<StoredSecret> {
    if (version !== undefined && !VERSION_ID.test(version))
      throw new NotFoundError(`azure provider ${this.name}: ${op.what}: no version ${q(version)}`, { provider: this.name });
    const s = await fetchSecret(op, native, version);
    if (!s) throw new NotFoundError(`azure provider ${this.name}: ${op.what}: not found`, { provider: this.name });
    return { ...headOf(op, tenant, name, s), value: decodeValue(s.value, s.properties.contentType, `${op.what}`) };
  }

  async list(tenant: TenantId, options: ListOptions = {}): Promise<ListPage> {
    this.#native(tenant, "x"); // validates the tenant id (InvalidInputError)
    return this.#run(`list tenant ${q(tenant)}`, (op) => listPage(op, this.#codec, tenant, this.#settings.vaultUrl, options));
  }

  async head(tenant: TenantId, name: string): Promise<SecretHead> {
    const native = this.#native(tenant, name);
    const { value, ...head } = await this.#run(`head ${q(name)} in tenant ${q(tenant)}`, (op) => this.#read(op, tenant, name, native));
    value.fill(0); // Key Vault has no properties-only read of the current version
    return head;
  }

  async get(tenant: TenantId, name: string, options: { version?: string | undefined } = {}): Promise<StoredSecret> {
    const native = this.#native(tenant, name);
    return this.#run(`get ${q(name)} in tenant ${q(tenant)}`, (op) => this.#read(op, tenant, name, native, options.version));
  }

  async getMany(tenant: TenantId, names: readonly string[]): Promise<Map<string, StoredSecret>> {
    const targets = [...new Set(names)].map((name) => ({ name, native: this.#native(tenant, name) }));
    const limit = Math.max(1, this.#settings.getManyConcurrency ?? 8);
    return this.#run(`getMany ${targets.length} secrets in tenant ${q(tenant)}`, async (op) => {
      // No batch read in Key Vault: bounded parallel single reads under one deadline.
      const out = new Map<string, StoredSecret>();
      let next = 0;
      const worker = async () => {
        while (next < targets.length) {
          const t = targets[next++] as (typeof targets)[number];
          const s = await fetchSecret(op, t.native);
          if (s) out.set(t.name, { ...headOf(op, tenant, t.name, s), value: decodeValue(s.value, s.properties.contentType, `get ${q(t.name)}`) });
        }
      };
      await Promise.all(Array.from({ length: Math.min(limit, targets.length) }, worker));
      return out;
    });
  }

  async put(tenant: TenantId, name: string, value: Uint8Array, options: PutOptions = {}): Promise<SecretHead> {
    const what = `put ${q(name)} in tenant ${q(tenant)}`;
    const native = this.#native(tenant, name);
    // Every refusal happens here, before any call: size, encoding, tag limits.
    const encoded = encodeValue(value, `azure provider ${this.name}: ${what}`);
    const tags = buildTags(tenant, name, options.metadata, `azure provider ${this.name}: ${what}`);
    return this.#run(what, (op) => putSecret(op, { tenant, name, native }, encoded, tags, options));
  }

  async delete(tenant: TenantId, name: string, options: DeleteOptions = {}): Promise<void> {
    const native = this.#native(tenant, name);
    const what = `${options.purge ? "purge" : "delete"} ${q(name)} in tenant ${q(tenant)}`;
    return this.#run(what, (op) => deleteSecret(op, { tenant, name, native }, options));
  }

  async versions(tenant: TenantId, name: string): Promise<VersionInfo[]> {
    const native = this.#native(tenant, name);
    return this.#run(`versions of ${q(name)} in tenant ${q(tenant)}`, async (op) => {
      const current = await fetchSecret(op, native);
      if (!current) throw new NotFoundError(`azure provider ${this.name}: ${op.what}: not found`, { provider: this.name });
      const all: VersionInfo[] = [];
      let link: string | undefined;
      do {
        const { page, next } = await op.call((c, abortSignal) =>
          withCallStore(abortSignal, async (store) => {
            const pages = c
              .listPropertiesOfSecretVersions(native, { abortSignal })
              .byPage({ maxPageSize: AZURE_MAX_PAGE, ...(link ? { continuationToken: link } : {}) });
            const r = await pages.next();
            return { page: r.done ? [] : r.value, next: store.nextLink ?? undefined };
          }),
        );
        for (const p of page) {
          if (p.version && p.enabled !== false) all.push({ version: p.version, createdAt: p.createdOn, current: p.version === current.properties.version });
        }
        link = next;
      } while (link);
      // Newest first; Key Vault's timestamps have one-second resolution, so the current one leads ties.
      return all.sort((a, b) => Number(b.current) - Number(a.current) || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    });
  }

  async health(): Promise<HealthReport> {
    const t0 = performance.now();
    try {
      await this.#run("health check", (op) =>
        op.call((c, abortSignal) => c.listPropertiesOfSecrets({ abortSignal }).byPage({ maxPageSize: 1 }).next(), { retries: 0 }),
      );
      return { ok: true, latencyMs: Math.round(performance.now() - t0) };
    } catch (err) {
      return { ok: false, latencyMs: Math.round(performance.now() - t0), detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) (await handle.catch(() => undefined))?.agent.destroy();
  }
}
