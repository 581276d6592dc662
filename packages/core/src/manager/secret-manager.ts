/**
 * SecretManager: one tenant's secrets. Validates input, runs the operation steps (access, audit),
 * encrypts before a provider sees a value and decrypts after, keeps revisions monotonic with
 * check-and-set. Reads, with their failover to mirrors when the primary is unavailable, are in
 * failover-read.ts.
 */
import { ENVELOPE_OVERHEAD, type Keyring, digest, seal } from "../crypto/index.js";
import { AccessDeniedError, ConflictError, InvalidInputError, NotFoundError, TooLargeError, UnauthorizedError } from "../errors.js";
import { parseSecretName, type TenantId } from "../names.js";
import { type Provider, type SecretHead, listAll } from "../provider.js";
import { type MirrorStore, type ReadPath, readSecret, versionsOf } from "./failover-read.js";
import { type GenerateOptions, generateSecret } from "./generate.js";
import { META, encodeLabels, labelsOf, revisionOf } from "./metadata.js";
import { type SecurityMetrics, emptyMetrics } from "./metrics.js";
import { type MirrorRecordLookup, VerifiedDigests } from "./mirror-check.js";
import type { SecretValue } from "./secret-value.js";
import { isUnchanged } from "./unchanged.js";
import { type Action, type Operation, type OperationStep, runSteps } from "./steps.js";
import { type ChangeEvent, type SecretListing, type SetOptions, type VersionListing, listing } from "./types.js";

export type { ChangeEvent, SecretListing, SetOptions, VersionListing } from "./types.js";
export type { MirrorStore } from "./failover-read.js";

export interface SecretManagerOptions {
  readonly tenant: TenantId;
  readonly keyring: Keyring;
  readonly primary: Provider;
  /**
   * The primary as used for reads that can fail over: the same store, configured to give up quickly
   * (a short timeout, few retries) so that a mirror answers within a second. Defaults to `primary`.
   */
  readonly readPrimary?: Provider | undefined;
  /**
   * True while `readPrimary` refuses every call at once (its circuit breaker open): a read that can be
   * served by a mirror then goes to the mirrors without calling it, so no refusal is built and thrown
   * for each read. Optional: without it the primary is always called first.
   */
  readonly readPrimaryRefusing?: (() => boolean) | undefined;
  /**
   * Read in order when the primary is unavailable. How each stores values comes from here (configuration:
   * a `native` route target), never from what the mirror returns. A `native` mirror holds the value itself,
   * which nothing but the sync record's keyed digest authenticates: it needs `mirrorRecord`, and the
   * constructor refuses it without one.
   */
  readonly mirrors?: ReadonlyArray<Provider | MirrorStore> | undefined;
  /**
   * What vouches for a mirror's copy (the sync state's authenticated record; see mirror-check.ts). When
   * given, a mirror's metadata decides nothing about what a failover read returns.
   */
  readonly mirrorRecord?: MirrorRecordLookup | undefined;
  readonly steps?: readonly OperationStep[] | undefined;
  /** Who is calling (recorded by the steps). */
  readonly actor?: string | undefined;
  /** The request this manager serves (the gateway makes one per request), for the audit log. */
  readonly requestId?: string | undefined;
}

/** What a write did: the version the secret is at, and whether it was a no-op (same value and labels). */
export interface WriteResult {
  readonly version: number;
  readonly unchanged: boolean;
}

/** The caller a view acts for (SecretManager.as). */
export interface OperationCaller {
  readonly actor: string;
  readonly requestId: string;
}

const VIEW = Symbol("SecretManager.as");
/** What `as()` passes to the constructor: the manager viewed and the caller (not constructible outside this module). */
interface ViewOf {
  readonly [VIEW]: SecretManager;
  readonly caller: OperationCaller;
}

export class SecretManager {
  readonly tenant: TenantId;
  readonly metrics: SecurityMetrics;
  readonly #keyring: Keyring;
  readonly #primary: Provider;
  readonly #readPath: ReadPath;
  readonly #steps: readonly OperationStep[];
  readonly #actor: string | undefined;
  readonly #requestId: string | undefined;
  readonly #listeners: Set<(e: ChangeEvent) => void>;

  constructor(options: SecretManagerOptions | ViewOf) {
    if (VIEW in options) {
      const base = options[VIEW];
      this.tenant = base.tenant;
      this.metrics = base.metrics;
      this.#keyring = base.#keyring;
      this.#primary = base.#primary;
      this.#readPath = base.#readPath;
      this.#steps = base.#steps;
      this.#listeners = base.#listeners;
      this.#actor = options.caller.actor;
      this.#requestId = options.caller.requestId;
      return;
    }
    const mirrors = (options.mirrors ?? []).map((m) => ("provider" in m && "encryption" in m ? m : { provider: m, encryption: "envelope" as const }));
    const unvouched = mirrors.find((m) => m.encryption === "native" && !options.mirrorRecord);
    if (unvouched) {
      throw new InvalidInputError(
        `mirror ${unvouched.provider.name} is configured native: failover reads from it need mirrorRecord (the sync state's authenticated record of its copy), since nothing else authenticates a value stored in clear`,
      );
    }
    this.metrics = emptyMetrics();
    this.#listeners = new Set();
    this.tenant = options.tenant;
    this.#keyring = options.keyring;
    this.#primary = options.primary;
    this.#readPath = {
      tenant: options.tenant,
      keyring: options.keyring,
      primaryName: options.primary.name,
      readPrimary: options.mirrors?.length ? (options.readPrimary ?? options.primary) : options.primary,
      mirrors,
      mirrorRecord: options.mirrorRecord,
      primaryRefusing: options.readPrimaryRefusing,
      verifiedDigests: VerifiedDigests.for(options.keyring),
      metrics: this.metrics,
    };
    this.#steps = options.steps ?? [];
    this.#actor = options.actor;
    this.#requestId = options.requestId;
  }

  get primary(): Provider {
    return this.#primary;
  }

  /**
   * This manager acting for one caller: the same providers, steps, metrics and change listeners, with the
   * caller's `actor` and `requestId` on every operation it runs (what the steps see). A gateway takes one
   * per request (RequestScopes in @polyvault/runtime), instead of an ambient request context: the caller
   * is passed, not looked up.
   */
  as(caller: OperationCaller): SecretManager {
    return new SecretManager({ [VIEW]: this, caller });
  }

  /** Called after every successful change made through this manager (push-on-write hooks here). */
  onChange(listener: (e: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  getSecurityMetrics(): SecurityMetrics {
    return { ...this.metrics };
  }

  async get(name: string, options: { version?: number | undefined } = {}): Promise<SecretValue> {
    const secretName = parseSecretName(name);
    return this.#run("read", secretName, (op) => {
      this.metrics.secretAccessCount++;
      return readSecret(this.#readPath, secretName, options.version, (by) => {
        op.provider = by;
      });
    });
  }

  /** Stores a new version, unless the secret already holds this value and these labels (a no-op: `unchanged`). */
  async set(name: string, value: Uint8Array | string, options: SetOptions = {}): Promise<WriteResult> {
    const secretName = parseSecretName(name);
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    return this.#run("write", secretName, (op) => {
      op.provider = this.#primary.name;
      return this.#write(secretName, bytes, options, true);
    });
  }

  /** A new value for an existing secret: the one given, or a generated one. */
  async rotate(name: string, options: { value?: Uint8Array | string | undefined; generate?: GenerateOptions } = {}): Promise<WriteResult> {
    const secretName = parseSecretName(name);
    return this.#run("rotate", secretName, async (op) => {
      op.provider = this.#primary.name;
      const head = await this.#primary.head(this.tenant, secretName);
      const value = options.value === undefined ? generateSecret(options.generate) : options.value;
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
      try {
        const r = await this.#write(secretName, bytes, { labels: labelsOf(head.metadata) }, false);
        this.metrics.rotationEvents++;
        return r;
      } finally {
        if (options.value === undefined) bytes.fill(0);
      }
    });
  }

  async delete(name: string, options: { purge?: boolean } = {}): Promise<void> {
    const secretName = parseSecretName(name);
    await this.#run("delete", secretName, async (op) => {
      op.provider = this.#primary.name;
      await this.#primary.delete(this.tenant, secretName, { purge: options.purge ?? false });
      this.#emit({ tenant: this.tenant, name: secretName, kind: "delete" });
    });
  }

  async list(): Promise<SecretListing[]> {
    return this.#run("list", undefined, async (op) => {
      op.provider = this.#primary.name;
      const out: SecretListing[] = [];
      for await (const h of listAll(this.#primary, this.tenant)) out.push(listing(h));
      return out;
    });
  }

  async versions(name: string): Promise<VersionListing[]> {
    const secretName = parseSecretName(name);
    return this.#run("versions", secretName, () => versionsOf(this.#primary, this.tenant, secretName));
  }

  // --- internals -------------------------------------------------------------------------------

  #run<T>(action: Action, name: string | undefined, body: (op: Operation) => Promise<T>): Promise<T> {
    const op: Operation = { tenant: this.tenant, action, name, actor: this.#actor, requestId: this.#requestId };
    return runSteps(this.#steps, op, () => body(op)).catch((err: unknown) => {
      if (err instanceof AccessDeniedError || err instanceof UnauthorizedError) this.metrics.failedAccessAttempts++;
      throw err;
    });
  }

  #emit(e: ChangeEvent): void {
    for (const l of this.#listeners) l(e);
  }

  async #write(name: string, value: Uint8Array, options: SetOptions, skipUnchanged: boolean): Promise<WriteResult> {
    const max = this.#primary.capabilities.maxValueBytes - ENVELOPE_OVERHEAD;
    if (value.length > max) {
      throw new TooLargeError(
        `value of ${value.length} bytes is over the ${max}-byte limit of provider ${this.#primary.name} (after ${ENVELOPE_OVERHEAD} bytes of encryption overhead)`,
      );
    }
    // Refused before anything is written.
    const labels = options.labels && Object.keys(options.labels).length ? encodeLabels(options.labels) : undefined;
    // Read-modify-write with check-and-set: a racing writer makes us re-read, never skip a revision.
    for (let attempt = 0; ; attempt++) {
      let head: SecretHead | undefined;
      try {
        head = await this.#primary.head(this.tenant, name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      if (head && !head.managed && !options.adopt) {
        throw new ConflictError(`secret ${JSON.stringify(name)} exists in provider ${this.#primary.name} and is not managed by Polyvault; adopt it first`);
      }
      if (skipUnchanged && head && !options.adopt && (await isUnchanged(this.#keyring, this.#primary, this.tenant, name, head, value, options.labels ?? {}))) {
        return { version: revisionOf(head.metadata) ?? 0, unchanged: true };
      }
      const revision = (head ? (revisionOf(head.metadata) ?? 0) : 0) + 1;
      const ciphertext = seal(this.#keyring, { tenant: this.tenant, name, revision }, value);
      this.metrics.encryptionOperations++;
      const metadata = {
        [META.digest]: digest(this.#keyring, this.tenant, name, value),
        [META.revision]: String(revision),
        [META.keyVersion]: String(this.#keyring.current),
        [META.encryption]: "envelope",
        [META.size]: String(ciphertext.length),
        ...(labels ? { [META.labels]: labels } : {}),
      };
      try {
        await this.#primary.put(this.tenant, name, ciphertext, { metadata, ifVersion: head ? head.version : null, adopt: options.adopt });
        this.#emit({ tenant: this.tenant, name, kind: "set", revision });
        return { version: revision, unchanged: false };
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 4) throw err;
      }
    }
  }
}
