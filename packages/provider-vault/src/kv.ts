/**
 * The handful of KV v2 endpoints the provider uses, typed, over node-vault's generic read/write/list/
 * delete. Paths are `<mount>/data/<path>` (versions) and `<mount>/metadata/<path>` (the secret's
 * version list and custom_metadata). Names are URL-safe by construction (see names.ts), so paths are
 * sent as they are. A 404 on a read becomes `undefined` here; every other failure is mapped by the
 * Operation into the core hierarchy.
 */
import { InvalidInputError, NotFoundError } from "@polyvault/core";
import type NodeVault from "node-vault";
import type { Operation } from "./operation.js";

export interface VersionState {
  readonly createdAt: Date | undefined;
  /** Soft-deleted (deletion_time in the past) or destroyed: not readable. */
  readonly gone: boolean;
}

export interface KvMetadata {
  /** Highest version ever written (0: metadata exists without versions). */
  readonly currentVersion: number;
  readonly customMetadata: Readonly<Record<string, string>>;
  readonly versions: ReadonlyMap<number, VersionState>;
}

export interface KvVersion {
  readonly data: Readonly<Record<string, unknown>>;
  readonly version: number;
  readonly createdAt: Date | undefined;
  readonly customMetadata: Readonly<Record<string, string>>;
}

export interface KvWritten {
  readonly version: number;
  readonly createdAt: Date | undefined;
}

type Body = { data?: Record<string, unknown> | null } | undefined;

const date = (v: unknown): Date | undefined => (typeof v === "string" && v !== "" ? new Date(v) : undefined);

/** KV v2 sets deletion_time when a version is soft-deleted, or ahead of time with delete_version_after. */
function isGone(v: { deletion_time?: unknown; destroyed?: unknown }): boolean {
  const deleted = date(v.deletion_time);
  return v.destroyed === true || (deleted !== undefined && deleted.getTime() <= Date.now());
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === "object") for (const [k, s] of Object.entries(v)) if (typeof s === "string") out[k] = s;
  return out;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export class KvV2 {
  private verified = false;

  constructor(
    private readonly client: () => NodeVault.client,
    private readonly mount: string,
  ) {}

  /**
   * Before the first write: is `mount` really a KV v2 mount? On a KV v1 mount (or a path below a
   * mount) a write to `<mount>/data/<path>` would silently create a plain secret named `data/…`.
   * Same check as the `vault kv` CLI (sys/internal/ui/mounts, open to any token with access to the mount).
   */
  private async ensureKv2(op: Operation): Promise<void> {
    if (this.verified) return;
    const body: Body = await op.call(`check mount ${this.mount}`, (timeout) => this.client().read(`sys/internal/ui/mounts/${this.mount}`, { timeout }));
    const d = body?.data ?? {};
    const version = (d.options as { version?: unknown } | null | undefined)?.version;
    if (d.type !== "kv" || version !== "2" || d.path !== `${this.mount}/`) {
      const found = d.type === "kv" ? `a KV version ${String(version ?? 1)} mount at ${String(d.path)}` : `a ${String(d.type)} mount`;
      throw new InvalidInputError(`vault mount "${this.mount}" must be the path of a KV version 2 mount; found ${found}`);
    }
    this.verified = true;
  }

  async readMetadata(op: Operation, path: string): Promise<KvMetadata | undefined> {
    const body: Body = await orUndefined(op.call(`read metadata of ${path}`, (timeout) => this.client().read(`${this.mount}/metadata/${path}`, { timeout })));
    const d = body?.data;
    if (!d) return undefined;
    const versions = new Map<number, VersionState>();
    for (const [id, v] of Object.entries((d.versions ?? {}) as Record<string, Record<string, unknown>>)) {
      versions.set(Number(id), { createdAt: date(v.created_time), gone: isGone(v) });
    }
    return { currentVersion: Number(d.current_version ?? 0), customMetadata: strings(d.custom_metadata), versions };
  }

  /** One version (the current one without `version`); undefined when absent, deleted or destroyed. */
  async readVersion(op: Operation, path: string, version?: number): Promise<KvVersion | undefined> {
    const query = version === undefined ? "" : `?version=${version}`;
    const body: Body = await orUndefined(
      op.call(`read ${path}${version === undefined ? "" : ` version ${version}`}`, (timeout) =>
        this.client().read(`${this.mount}/data/${path}${query}`, { timeout }),
      ),
    );
    const d = body?.data;
    const data = d?.data;
    const meta = (d?.metadata ?? {}) as Record<string, unknown>;
    if (!d || !data || typeof data !== "object" || isGone(meta)) return undefined;
    return {
      data: data as Record<string, unknown>,
      version: Number(meta.version),
      createdAt: date(meta.created_time),
      customMetadata: strings(meta.custom_metadata),
    };
  }

  /** Writes a new version only if the current version is still `cas` (0: only if the key is new). */
  async writeVersion(op: Operation, path: string, data: Record<string, unknown>, cas: number): Promise<KvWritten> {
    await this.ensureKv2(op);
    const body: Body = await op.call(`write ${path}`, (timeout) => this.client().write(`${this.mount}/data/${path}`, { options: { cas }, data }, { timeout }));
    const d = body?.data ?? {};
    return { version: Number(d.version), createdAt: date(d.created_time) };
  }

  /** Replaces the secret's custom_metadata (other metadata settings are left as they are). */
  async writeCustomMetadata(op: Operation, path: string, custom: Record<string, string>): Promise<void> {
    await this.ensureKv2(op);
    await op.call(`write metadata of ${path}`, (timeout) => this.client().write(`${this.mount}/metadata/${path}`, { custom_metadata: custom }, { timeout }));
  }

  /** Soft delete: marks the current version deleted (undeletable with the `undelete` endpoint). */
  async deleteCurrent(op: Operation, path: string): Promise<void> {
    await this.ensureKv2(op);
    await op.call(`delete ${path}`, (timeout) => this.client().delete(`${this.mount}/data/${path}`, { timeout }));
  }

  /** Purge: removes the metadata and every version, unrecoverably. */
  async purge(op: Operation, path: string): Promise<void> {
    await this.ensureKv2(op);
    await op.call(`purge ${path}`, (timeout) => this.client().delete(`${this.mount}/metadata/${path}`, { timeout }));
  }

  /** One folder level: keys ending in '/' are folders. A folder that does not exist lists empty. */
  async listFolder(op: Operation, folder: string): Promise<string[]> {
    const body: Body = await orUndefined(op.call(`list ${folder}`, (timeout) => this.client().list(`${this.mount}/metadata/${folder}`, { timeout })));
    const keys = body?.data?.keys;
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
  }
}
