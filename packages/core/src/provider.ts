/**
 * The Provider contract: storage only. A provider never sees keys; it stores the bytes it is given
 * (Polyvault ciphertext in `envelope` mode, the value itself in `native` mode) under a native name it
 * derives reversibly from (tenant, secret name), and marks everything it writes as managed.
 *
 * Rules every implementation follows (the conformance suite in @polyvault/provider-testkit checks them):
 * - Names: `nameFits()` says, before any write, whether a name can be held without collision; put()
 *   refuses a name that does not fit with InvalidInputError and writes nothing.
 * - Ownership: every write marks the secret managed (managed-by=polyvault, tenant, original name).
 *   A secret the provider did not write (no marker, or another tenant's marker) is never modified or
 *   deleted: put() and delete() on it throw ConflictError; list() reports it with `managed: false` only
 *   when its native name decodes into this tenant's namespace, get() reads it.
 * - Sizes: a value over `capabilities.maxValueBytes` is refused with TooLargeError before any call.
 * - Errors: every failure is a PolyvaultError (NotFound, Conflict, Throttled, Unavailable, Unauthorized,
 *   InvalidInput, TooLarge, Integrity); a missing secret is NotFoundError, a server that cannot be
 *   reached or does not answer within `timeoutMs` is UnavailableError. Nothing is swallowed.
 * - Metadata: `put(…, { metadata })` stores the given string pairs (keys `pv-*`, e.g. the value digest)
 *   with the secret and returns them in heads, so a planner can compare without reading values.
 */
import type { TenantId } from "./names.js";

export interface ProviderCapabilities {
  /** Largest value, in bytes, that put() accepts (after any encoding the provider applies). */
  readonly maxValueBytes: number;
  /** Old versions stay readable with get(…, { version }). */
  readonly versions: boolean;
  /** put(…, { ifVersion }) is atomic on the server (check-and-set). */
  readonly checkAndSet: boolean;
  /** delete() without purge keeps the secret recoverable for a while; re-creating the name still works. */
  readonly softDelete: boolean;
  /** Largest number of names getMany() fetches in one call (1 when there is no batch API). */
  readonly batchGet: number;
  /** Largest page list() returns. */
  readonly maxPageSize: number;
  /** A one-line, human description of which names fit (shown in errors and docs). */
  readonly nameRule: string;
}

/** Metadata Polyvault attaches to each secret, all string pairs, keys starting with `pv-`. */
export type SecretMetadata = Readonly<Record<string, string>>;

/** What list() and head() report: enough to plan a sync without reading a value. */
export interface SecretHead {
  /** The tenant's own name for the secret (decoded from the native name). */
  readonly name: string;
  /** The provider's id for the current version (opaque string). */
  readonly version: string;
  readonly updatedAt: Date | undefined;
  /** true when Polyvault wrote it for this tenant. */
  readonly managed: boolean;
  /** What put() stored in `metadata` (empty for unmanaged secrets). */
  readonly metadata: SecretMetadata;
}

export interface StoredSecret extends SecretHead {
  /** The stored bytes. Callers wipe this Buffer when done with it. */
  readonly value: Buffer;
}

export interface VersionInfo {
  readonly version: string;
  readonly createdAt: Date | undefined;
  /** The version get() without a version would return. */
  readonly current: boolean;
}

export interface ListOptions {
  /** Opaque cursor from a previous page; absent for the first page. */
  readonly cursor?: string | undefined;
  /** Wanted page size, capped at capabilities.maxPageSize. */
  readonly pageSize?: number | undefined;
}

export interface ListPage {
  readonly items: readonly SecretHead[];
  /** Present when there are more pages. */
  readonly cursor?: string | undefined;
}

export interface PutOptions {
  /** Polyvault metadata to store with the secret (`pv-*` keys). */
  readonly metadata?: SecretMetadata | undefined;
  /**
   * Check-and-set: a version id means "only if the current version is still this one"; `null` means
   * "only if the secret does not exist yet". Mismatch → ConflictError, nothing written. Providers
   * without server-side check-and-set compare the head first (documented as not atomic).
   */
  readonly ifVersion?: string | null | undefined;
  /**
   * Take over an existing secret Polyvault does not manage at this name (`polyvault adopt`, only with
   * the user's explicit confirmation): it is overwritten and marked managed from then on.
   */
  readonly adopt?: boolean | undefined;
}

export interface DeleteOptions {
  /** true: remove every version now, unrecoverably. false (default): soft delete where supported. */
  readonly purge?: boolean | undefined;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly detail?: string | undefined;
}

export type NameCheck = { readonly ok: true; readonly nativeName: string } | { readonly ok: false; readonly reason: string };

export interface Provider {
  /** The configured name of this provider instance (e.g. "aws", "local"). */
  readonly name: string;
  /** The implementation: "file" | "aws" | "azure" | "vault". */
  readonly type: string;
  readonly capabilities: ProviderCapabilities;

  /** Whether (tenant, name) maps to a native name that fits and cannot collide. Never calls the server. */
  nameFits(tenant: TenantId, name: string): NameCheck;

  /** One page of the tenant's secrets (managed ones, plus unmanaged ones inside its namespace). */
  list(tenant: TenantId, options?: ListOptions): Promise<ListPage>;
  /** The head of one secret, or NotFoundError. Reads no value where the API allows. */
  head(tenant: TenantId, name: string): Promise<SecretHead>;
  /** The current version, or the given one. NotFoundError when the secret or version does not exist. */
  get(tenant: TenantId, name: string, options?: { version?: string | undefined }): Promise<StoredSecret>;
  /** Several current values at once; names that do not exist are absent from the result. */
  getMany(tenant: TenantId, names: readonly string[]): Promise<Map<string, StoredSecret>>;
  /** Writes a new version and returns its head. */
  put(tenant: TenantId, name: string, value: Uint8Array, options?: PutOptions): Promise<SecretHead>;
  /** Soft delete by default, purge on request. NotFoundError when absent. */
  delete(tenant: TenantId, name: string, options?: DeleteOptions): Promise<void>;
  /** Every readable version, newest first. */
  versions(tenant: TenantId, name: string): Promise<VersionInfo[]>;
  health(): Promise<HealthReport>;
  /**
   * Optional: replace the bytes of an existing version in place (same version id), used by key rewrap.
   * Providers whose versions are immutable (the cloud services) leave it out; rewrap then writes a new
   * version with the same Polyvault revision.
   */
  rewriteVersion?(tenant: TenantId, name: string, version: string, value: Uint8Array, options?: { metadata?: SecretMetadata }): Promise<void>;
  /** Optional: the tenants that have secrets here (the file provider can tell; cloud providers need configuration). */
  listTenants?(): Promise<TenantId[]>;
  /** Releases clients, sockets and locks. */
  close(): Promise<void>;
}

/** Options every provider factory accepts, besides its own. */
export interface CommonProviderOptions {
  /** The configured name of the instance. */
  readonly name: string;
  /** Namespace for Polyvault's native names (default "polyvault"). */
  readonly prefix?: string | undefined;
  /** Upper bound for one call including retries, in ms (100–300,000, default 10,000). */
  readonly timeoutMs?: number | undefined;
  /**
   * Retries of each request after a ThrottledError or UnavailableError (0–10, default 3), within
   * `timeoutMs`: the one retry layer (core's `attempt`, docs/configuration.md).
   */
  readonly retries?: number | undefined;
}

/** Metadata keys every provider writes on its own (besides the caller's `pv-*` metadata). */
export const MANAGED_BY_KEY = "managed-by";
export const MANAGED_BY_VALUE = "polyvault";
export const TENANT_KEY = "pv-tenant";
export const ORIGINAL_NAME_KEY = "pv-name";

/** Iterate every page of list(). */
export async function* listAll(provider: Provider, tenant: TenantId, pageSize?: number): AsyncGenerator<SecretHead> {
  let cursor: string | undefined;
  do {
    const page = await provider.list(tenant, { cursor, pageSize });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}
