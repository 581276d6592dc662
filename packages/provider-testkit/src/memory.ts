/**
 * An in-memory Provider that follows the contract (versions, check-and-set, soft delete, ownership,
 * paging) and passes the conformance suite like the real providers (test/memory.test.ts). For unit
 * tests of logic above the provider — rotation, compliance, backup — with a settable clock, failure
 * injection, unmanaged secrets and in-place tampering.
 *
 * `errors`: the classes it throws. Packages that import @polyvault/core get its classes by default;
 * core's own tests, which run core's source rather than its build, pass the source's classes so that
 * `instanceof` in the code under test recognises what this provider throws.
 */
import { ConflictError, NotFoundError, type Provider, type SecretHead, type TenantId, TooLargeError, UnavailableError } from "@polyvault/core";

type ErrorClass = new (message: string, options: { provider: string }) => Error;

export interface MemoryErrors {
  readonly NotFoundError: ErrorClass;
  readonly ConflictError: ErrorClass;
  readonly UnavailableError: ErrorClass;
  readonly TooLargeError: ErrorClass;
}

export interface MemoryProviderOptions {
  readonly name?: string;
  /** The type it reports (rotation and compliance rules depend on a store's type). */
  readonly type?: string;
  readonly errors?: MemoryErrors;
}

export interface MemoryProvider extends Provider {
  clock: () => Date;
  /** Operations that throw UnavailableError (e.g. "get", "list"; "*" for all). */
  failing: Set<string>;
  /** Stores a secret Polyvault did not write. */
  plantUnmanaged(tenant: string, name: string, value: Buffer): void;
  /** Replaces the bytes of the current version in place (simulates out-of-band tampering). */
  tamper(tenant: string, name: string, value: Buffer, metadata?: Record<string, string>): void;
  /** The current version's bytes as stored, bypassing the contract (undefined when there is none). */
  raw(tenant: string, name: string): Buffer | undefined;
}

interface Version {
  id: string;
  value: Buffer;
  metadata: Record<string, string>;
  createdAt: Date;
}
interface Entry {
  managed: boolean;
  deleted: boolean;
  versions: Version[];
}

const PAGE = 50;
const MAX_VALUE_BYTES = 65536;

export function memoryProvider(options: MemoryProviderOptions = {}): MemoryProvider {
  const name = options.name ?? "mem";
  const E = options.errors ?? { NotFoundError, ConflictError, UnavailableError, TooLargeError };
  const data = new Map<string, Map<string, Entry>>();
  const table = (t: string): Map<string, Entry> => {
    const m = data.get(t) ?? new Map<string, Entry>();
    data.set(t, m);
    return m;
  };
  const live = (t: string, n: string): Entry => {
    const e = table(t).get(n);
    if (!e || e.deleted || e.versions.length === 0) throw new E.NotFoundError(`secret ${JSON.stringify(n)} not found in tenant ${t}`, { provider: name });
    return e;
  };
  const headOf = (n: string, e: Entry, v: Version): SecretHead => ({
    name: n,
    version: v.id,
    updatedAt: v.createdAt,
    managed: e.managed,
    metadata: e.managed ? { ...v.metadata } : {},
  });
  const check = (op: string): void => {
    if (p.failing.has(op) || p.failing.has("*")) throw new E.UnavailableError(`provider ${name} is down (${op})`, { provider: name });
  };
  const p: MemoryProvider = {
    name,
    type: options.type ?? "file",
    clock: () => new Date(),
    failing: new Set(),
    capabilities: { maxValueBytes: MAX_VALUE_BYTES, versions: true, checkAndSet: true, softDelete: true, batchGet: 20, maxPageSize: PAGE, nameRule: "any" },
    // Any name fits; the native name is the tenant's namespace and the name, as the store keys it.
    nameFits: (t, n) => ({ ok: true, nativeName: `${t}/${n}` }),
    async list(t, o = {}) {
      check("list");
      const names = [...table(t).entries()]
        .filter(([, e]) => !e.deleted && e.versions.length)
        .map(([n]) => n)
        .sort();
      const start = o.cursor ? Number(o.cursor) : 0;
      const size = Math.min(o.pageSize ?? PAGE, PAGE);
      const items = names.slice(start, start + size).map((n) => {
        const e = table(t).get(n) as Entry;
        return headOf(n, e, e.versions.at(-1) as Version);
      });
      return { items, cursor: start + size < names.length ? String(start + size) : undefined };
    },
    async head(t, n) {
      check("head");
      const e = live(t, n);
      return headOf(n, e, e.versions.at(-1) as Version);
    },
    async get(t, n, o = {}) {
      check("get");
      const e = live(t, n);
      const v = o.version === undefined ? e.versions.at(-1) : e.versions.find((x) => x.id === o.version);
      if (!v) throw new E.NotFoundError(`version ${o.version} of ${JSON.stringify(n)} not found in tenant ${t}`, { provider: name });
      return { ...headOf(n, e, v), value: Buffer.from(v.value) };
    },
    async getMany(t, names) {
      check("get");
      const out = new Map();
      for (const n of names) {
        const e = table(t).get(n);
        if (!e || e.deleted || e.versions.length === 0) continue;
        const v = e.versions.at(-1) as Version;
        out.set(n, { ...headOf(n, e, v), value: Buffer.from(v.value) });
      }
      return out;
    },
    async put(t, n, value, o = {}) {
      check("put");
      if (value.length > MAX_VALUE_BYTES)
        throw new E.TooLargeError(`value of ${value.length} bytes is over the ${MAX_VALUE_BYTES}-byte limit`, { provider: name });
      const cur = table(t).get(n);
      const alive = cur && !cur.deleted && cur.versions.length ? cur : undefined;
      if (alive && !alive.managed && !o.adopt) throw new E.ConflictError(`${JSON.stringify(n)} is not managed by Polyvault`, { provider: name });
      if (o.ifVersion === null && alive) throw new E.ConflictError(`${JSON.stringify(n)} already exists`, { provider: name });
      if (typeof o.ifVersion === "string" && o.ifVersion !== alive?.versions.at(-1)?.id)
        throw new E.ConflictError(`${JSON.stringify(n)} changed`, { provider: name });
      const e: Entry = alive ?? { managed: true, deleted: false, versions: [] };
      e.managed = true;
      table(t).set(n, e);
      const v = { id: String(e.versions.length + 1), value: Buffer.from(value), metadata: { ...(o.metadata ?? {}) }, createdAt: p.clock() };
      e.versions.push(v);
      return headOf(n, e, v);
    },
    async delete(t, n, o = {}) {
      check("delete");
      const e = live(t, n);
      if (!e.managed) throw new E.ConflictError(`${JSON.stringify(n)} is not managed by Polyvault`, { provider: name });
      if (o.purge) table(t).delete(n);
      else e.deleted = true;
    },
    async versions(t, n) {
      check("versions");
      const e = live(t, n);
      return e.versions.map((v, i) => ({ version: v.id, createdAt: v.createdAt, current: i === e.versions.length - 1 })).reverse();
    },
    async listTenants() {
      check("list");
      return [...data.keys()] as TenantId[];
    },
    async health() {
      const started = performance.now();
      try {
        check("health");
        return { ok: true, latencyMs: performance.now() - started };
      } catch (err) {
        return { ok: false, latencyMs: performance.now() - started, detail: (err as Error).message };
      }
    },
    async close() {
      // nothing to release
    },
    plantUnmanaged(t, n, value) {
      table(t).set(n, { managed: false, deleted: false, versions: [{ id: "1", value: Buffer.from(value), metadata: {}, createdAt: p.clock() }] });
    },
    tamper(t, n, value, metadata) {
      const v = live(t, n).versions.at(-1) as Version;
      v.value = Buffer.from(value);
      if (metadata) v.metadata = { ...v.metadata, ...metadata };
    },
    raw(t, n) {
      const v = table(t).get(n)?.versions.at(-1);
      return v ? Buffer.from(v.value) : undefined;
    },
  };
  return p;
}
