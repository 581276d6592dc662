/**
 * Test support shared by the rotation, compliance and backup tests: an in-memory Provider that follows
 * the contract (versions, check-and-set, soft delete, ownership), with a settable clock and failure
 * injection, and a SecretManager over it with a real keyring in a temporary data directory.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import {
  ConflictError,
  Keyring,
  NotFoundError,
  type Provider,
  type SecretHead,
  SecretManager,
  type TenantId,
  UnavailableError,
  parseTenantId,
} from "../../src/index.js";

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

export interface MemoryProvider extends Provider {
  clock: () => Date;
  /** Operations that throw UnavailableError (e.g. "get", "list"). */
  failing: Set<string>;
  /** Stores a secret Polyvault did not write. */
  plantUnmanaged(tenant: string, name: string, value: Buffer): void;
  /** Replaces the bytes of the current version in place (simulates out-of-band tampering). */
  tamper(tenant: string, name: string, value: Buffer, metadata?: Record<string, string>): void;
}

export function memoryProvider(name = "mem", type = "file"): MemoryProvider {
  const data = new Map<string, Map<string, Entry>>();
  const table = (t: string) => data.get(t) ?? data.set(t, new Map()).get(t) ?? new Map<string, Entry>();
  const live = (t: string, n: string): Entry => {
    const e = table(t).get(n);
    if (!e || e.deleted || e.versions.length === 0) throw new NotFoundError(`secret ${JSON.stringify(n)} not found in tenant ${t}`, { provider: name });
    return e;
  };
  const headOf = (n: string, e: Entry, v: Version): SecretHead => ({
    name: n,
    version: v.id,
    updatedAt: v.createdAt,
    managed: e.managed,
    metadata: e.managed ? { ...v.metadata } : {},
  });
  const p: MemoryProvider = {
    name,
    type,
    clock: () => new Date(),
    failing: new Set(),
    capabilities: { maxValueBytes: 65536, versions: true, checkAndSet: true, softDelete: true, batchGet: 20, maxPageSize: 50, nameRule: "any" },
    nameFits: (_t, n) => ({ ok: true, nativeName: n }),
    async list(t, o = {}) {
      check("list");
      const names = [...table(t).entries()]
        .filter(([, e]) => !e.deleted && e.versions.length)
        .map(([n]) => n)
        .sort();
      const start = o.cursor ? Number(o.cursor) : 0;
      const size = Math.min(o.pageSize ?? 50, 50);
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
      if (!v) throw new NotFoundError(`version ${o.version} of ${n} not found`, { provider: name });
      return { ...headOf(n, e, v), value: Buffer.from(v.value) };
    },
    async getMany(t, names) {
      check("get");
      const out = new Map();
      for (const n of names) {
        try {
          out.set(n, await p.get(t, n));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return out;
    },
    async put(t, n, value, o = {}) {
      check("put");
      const cur = table(t).get(n);
      const alive = cur && !cur.deleted && cur.versions.length ? cur : undefined;
      if (alive && !alive.managed) throw new ConflictError(`${n} is not managed`, { provider: name });
      if (o.ifVersion === null && alive) throw new ConflictError(`${n} already exists`, { provider: name });
      if (typeof o.ifVersion === "string" && o.ifVersion !== alive?.versions.at(-1)?.id) throw new ConflictError(`${n} changed`, { provider: name });
      const e: Entry = alive ?? { managed: true, deleted: false, versions: [] };
      table(t).set(n, e);
      const v = { id: String(e.versions.length + 1), value: Buffer.from(value), metadata: { ...(o.metadata ?? {}) }, createdAt: p.clock() };
      e.versions.push(v);
      return headOf(n, e, v);
    },
    async delete(t, n, o = {}) {
      check("delete");
      const e = live(t, n);
      if (o.purge) table(t).delete(n);
      else e.deleted = true;
    },
    async versions(t, n) {
      check("versions");
      const e = live(t, n);
      return e.versions.map((v, i) => ({ version: v.id, createdAt: v.createdAt, current: i === e.versions.length - 1 })).reverse();
    },
    async listTenants() {
      return [...data.keys()].map((t) => parseTenantId(t));
    },
    async health() {
      return { ok: true, latencyMs: 0 };
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
  };
  function check(op: string): void {
    if (p.failing.has(op)) throw new UnavailableError(`provider ${name} is down (${op})`, { provider: name });
  }
  return p;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "pv-core-"));
  dirs.push(d);
  return d;
}

export interface Setup {
  dataDir: string;
  masterKey: Buffer;
  keyring: Keyring;
  provider: MemoryProvider;
  manager: SecretManager;
  tenant: TenantId;
}

export async function setup(tenant = "acme", options: { dataDir?: string; masterKey?: Buffer; provider?: MemoryProvider } = {}): Promise<Setup> {
  const dataDir = options.dataDir ?? (await tempDir());
  const masterKey = options.masterKey ?? randomBytes(32);
  const keyring = await Keyring.open(dataDir, masterKey);
  const provider = options.provider ?? memoryProvider();
  const t = parseTenantId(tenant);
  return { dataDir, masterKey, keyring, provider, tenant: t, manager: new SecretManager({ tenant: t, keyring, primary: provider }) };
}

export const DAY = 86_400_000;

/** Runs fn and returns what it threw (fails when it does not throw). */
export async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error, none was thrown");
}
