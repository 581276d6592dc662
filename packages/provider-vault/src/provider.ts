/**
 * The Vault / OpenBao KV v2 provider. See docs/providers/vault.md for the full mapping; in short:
 * - one KV v2 secret per (tenant, name) at `<mount>/data/<prefix>/<tenant>/<name>`;
 * - every write is a check-and-set (`options.cas`) on the version whose ownership was just checked, so
 *   Polyvault never writes over a secret it did not verify as its own, and `ifVersion` is atomic;
 * - put writes the version (value + markers + caller metadata inside the data map) first, then the
 *   custom_metadata that lets heads and list skip reading values (see record.ts and state.ts for why
 *   this order is safe when a crash falls between the two writes);
 * - delete soft-deletes the current version; purge deletes the metadata and every version.
 */
import { randomUUID } from "node:crypto";
import {
  ConflictError,
  type DeleteOptions,
  type HealthReport,
  InvalidInputError,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type Provider,
  type PutOptions,
  type RetryPolicy,
  type SecretHead,
  type StoredSecret,
  type TenantId,
  type VersionInfo,
  parseTenantId,
} from "@polyvault/core";
import type { KvV2 } from "./kv.js";
import { checkMetadata, checkValueSize } from "./limits.js";
import { listPage } from "./list.js";
import type { VaultNameCodec } from "./names.js";
import { Operation } from "./operation.js";
import { DESCRIBES_KEY, type Owner, callerMetadata, decodeValue, embeddedMeta, encodeRecord, marking, markers } from "./record.js";
import { inspect } from "./state.js";

/** Unconditional puts retry their check-and-set this often when other writers keep winning. */
const MAX_WRITE_ROUNDS = 16;
const VERSION_ID = /^[1-9][0-9]{0,15}$/;

export interface VaultProviderParts {
  readonly name: string;
  readonly policy: RetryPolicy;
  readonly codec: VaultNameCodec;
  readonly kv: KvV2;
  readonly capabilities: Provider["capabilities"];
  readonly defaultPageSize: number;
  readonly health: () => Promise<HealthReport>;
  readonly close: () => Promise<void>;
}

export class VaultProvider implements Provider {
  readonly type = "vault";
  readonly name: string;
  readonly capabilities: Provider["capabilities"];

  constructor(private readonly parts: VaultProviderParts) {
    this.name = parts.name;
    this.capabilities = parts.capabilities;
  }

  private op(): Operation {
    return new Operation(this.parts.policy, this.name);
  }

  /** The KV path for (tenant, name), or InvalidInputError naming the rule (nothing is sent). */
  private path(tenant: TenantId, name: string): string {
    const fit = this.parts.codec.encode(tenant, name);
    if (!fit.ok) throw new InvalidInputError(`vault cannot hold secret ${JSON.stringify(name)}: ${fit.reason}`, { provider: this.name });
    return fit.nativeName;
  }

  private notManaged(name: string): ConflictError {
    return new ConflictError(`secret ${JSON.stringify(name)} exists in vault but is not managed by Polyvault; it was left unchanged`, {
      provider: this.name,
    });
  }

  nameFits(tenant: TenantId, name: string) {
    return this.parts.codec.encode(tenant, name);
  }

  async list(tenant: TenantId, options: ListOptions = {}): Promise<ListPage> {
    parseTenantId(tenant); // refuses a bad tenant id before anything is sent
    const max = this.capabilities.maxPageSize;
    const size = Math.max(1, Math.min(max, Math.floor(options.pageSize ?? this.parts.defaultPageSize)));
    return listPage(this.op(), this.parts.kv, this.parts.codec, tenant, size, options.cursor);
  }

  async head(tenant: TenantId, name: string): Promise<SecretHead> {
    const state = await inspect(this.op(), this.parts.kv, this.path(tenant, name), { tenant, name });
    if (!state.head) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in vault`, { provider: this.name });
    return state.head;
  }

  get(tenant: TenantId, name: string, options: { version?: string | undefined } = {}): Promise<StoredSecret> {
    return this.read(this.op(), tenant, name, options.version);
  }

  private async read(op: Operation, tenant: TenantId, name: string, version: string | undefined): Promise<StoredSecret> {
    const path = this.path(tenant, name);
    const missing = () =>
      new NotFoundError(`secret ${JSON.stringify(name)}${version ? ` version ${version}` : ""} not found in vault`, { provider: this.name });
    if (version !== undefined && !VERSION_ID.test(version)) throw missing();
    const v = await this.parts.kv.readVersion(op, path, version === undefined ? undefined : Number(version));
    if (!v) throw missing();
    const owner: Owner = { tenant, name };
    // The version's own markers first; a version another tool wrote over our secret is still ours.
    const embedded = embeddedMeta(v.data);
    let managed = marking(embedded, owner) === "ours";
    let metadata = managed && embedded ? callerMetadata(embedded) : {};
    if (!managed && marking(v.customMetadata, owner) === "ours") {
      managed = true;
      metadata = v.customMetadata[DESCRIBES_KEY] === String(v.version) ? callerMetadata(v.customMetadata) : {};
    }
    return { name, version: String(v.version), updatedAt: v.createdAt, managed, metadata, value: decodeValue(v.data) };
  }

  async getMany(tenant: TenantId, names: readonly string[]): Promise<Map<string, StoredSecret>> {
    const out = new Map<string, StoredSecret>();
    // No batch endpoint in KV v2: bounded parallel reads under one deadline; the first real failure
    // stops the others from starting new reads.
    const op = this.op();
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < names.length && !failed) {
        const name = names[next++] as string;
        try {
          out.set(name, await this.read(op, tenant, name, undefined));
        } catch (err) {
          if (err instanceof NotFoundError) continue;
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, names.length) }, worker));
    return out;
  }

  async put(tenant: TenantId, name: string, value: Uint8Array, options: PutOptions = {}): Promise<SecretHead> {
    const path = this.path(tenant, name);
    checkValueSize(name, value.byteLength);
    const metadata = options.metadata ?? {};
    checkMetadata(name, metadata);
    const owner: Owner = { tenant, name };
    const { ifVersion } = options;
    const writeId = randomUUID();
    const record = encodeRecord(value, owner, metadata, writeId);
    const op = this.op();
    const { kv } = this.parts;

    // A create (ifVersion null, as the sync engine's initial mirror asks) goes straight to a write with
    // cas=0, which Vault refuses if anything exists at the path (a live secret, deleted versions, or one
    // Polyvault does not manage): one round trip fewer than inspecting first. A refusal falls through to
    // the inspecting loop, which tells those cases apart and answers as it always did.
    if (ifVersion === null && !options.adopt) {
      const created = await this.tryCreate(op, path, record, writeId);
      if (created) return this.finish(op, path, owner, metadata, name, created);
    }

    for (let round = 1; round <= MAX_WRITE_ROUNDS; round++) {
      const state = await inspect(op, kv, path, owner);
      // adopt: the user confirmed taking over a secret Polyvault does not manage (`polyvault adopt`).
      if (state.owner === "not-ours" && !options.adopt) throw this.notManaged(name);
      const current = state.meta?.currentVersion ?? 0;
      if (ifVersion === null && state.head) {
        throw new ConflictError(`secret ${JSON.stringify(name)} already exists (version ${state.head.version})`, { provider: this.name });
      }
      if (typeof ifVersion === "string" && state.head?.version !== ifVersion) {
        const now = state.head ? `is at version ${state.head.version}` : "does not exist";
        throw new ConflictError(`secret ${JSON.stringify(name)} ${now}, not ${ifVersion}`, { provider: this.name });
      }
      let written: { version: number; createdAt: Date | undefined };
      try {
        written = await kv.writeVersion(op, path, record, current);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // A write retried after a lost answer may have landed the first time: recognise our own id.
        const now = await kv.readVersion(op, path);
        if (now?.data.pv_write === writeId) written = now;
        else if (ifVersion !== undefined) throw err;
        else continue;
      }
      return this.finish(op, path, owner, metadata, name, written);
    }
    throw new ConflictError(`secret ${JSON.stringify(name)} kept changing under ${MAX_WRITE_ROUNDS} concurrent writes; not written`, {
      provider: this.name,
    });
  }
  /** The cas=0 write of a create; undefined when something is already at the path. */
  private async tryCreate(op: Operation, path: string, record: Record<string, unknown>, writeId: string) {
    try {
      return await this.parts.kv.writeVersion(op, path, record, 0);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // A write retried after a lost answer may have landed the first time: recognise our own id.
      const now = await this.parts.kv.readVersion(op, path);
      return now?.data.pv_write === writeId ? now : undefined;
    }
  }

  /** Points the custom metadata (markers, user metadata) at the version just written. */
  private async finish(
    op: Operation,
    path: string,
    owner: Owner,
    metadata: Record<string, string>,
    name: string,
    written: { version: number; createdAt: Date | undefined },
  ): Promise<SecretHead> {
    const custom = { ...metadata, ...markers(owner), [DESCRIBES_KEY]: String(written.version) };
    await this.parts.kv.writeCustomMetadata(op, path, custom);
    return { name, version: String(written.version), updatedAt: written.createdAt, managed: true, metadata: { ...metadata } };
  }

  async delete(tenant: TenantId, name: string, options: DeleteOptions = {}): Promise<void> {
    const path = this.path(tenant, name);
    const owner: Owner = { tenant, name };
    const op = this.op();
    const { kv } = this.parts;
    const state = await inspect(op, kv, path, owner);
    const absent = () => new NotFoundError(`secret ${JSON.stringify(name)} not found in vault`, { provider: this.name });
    if (options.purge) {
      if (state.owner === "none") throw absent();
      if (state.owner === "not-ours") throw this.notManaged(name);
      await kv.purge(op, path);
      return;
    }
    if (!state.head) throw absent();
    if (state.owner !== "ours") throw this.notManaged(name);
    // Ownership proven by the version alone (a put that stopped before its metadata write): record it
    // in custom_metadata first, so the soft-deleted secret can still be purged or rewritten later.
    if (!state.markedCurrent) {
      const custom = { ...state.head.metadata, ...markers(owner), [DESCRIBES_KEY]: state.head.version };
      await kv.writeCustomMetadata(op, path, custom);
    }
    await kv.deleteCurrent(op, path);
  }

  async versions(tenant: TenantId, name: string): Promise<VersionInfo[]> {
    const meta = await this.parts.kv.readMetadata(this.op(), this.path(tenant, name));
    const current = meta?.versions.get(meta.currentVersion);
    if (!meta || !current || current.gone) throw new NotFoundError(`secret ${JSON.stringify(name)} not found in vault`, { provider: this.name });
    return [...meta.versions]
      .filter(([, v]) => !v.gone)
      .sort(([a], [b]) => b - a)
      .map(([id, v]) => ({ version: String(id), createdAt: v.createdAt, current: id === meta.currentVersion }));
  }

  health(): Promise<HealthReport> {
    return this.parts.health();
  }

  close(): Promise<void> {
    return this.parts.close();
  }
}
