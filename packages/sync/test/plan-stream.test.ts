/**
 * The streaming planner (the source read page by page, heads held compactly) gives exactly the plan of
 * the planner it replaced (fixtures/reference-planner.ts), over a few thousand secrets in many pages:
 * every diff case, several targets, every policy and filter, listings in no particular order, a name
 * listed twice. The provider here is an in-memory double (the planner's logic is what is compared);
 * the last test plans real file providers across their 1,000-head pages.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidInputError, NotFoundError, type Provider, type SecretHead, type TenantId, parseTenantId } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import { afterAll, describe, expect, it } from "vitest";
import { type RouteSpec, SqliteStateStore, planRoute } from "../src/index.js";
import { referencePlanRoute } from "./fixtures/reference-planner.js";

/** A deterministic generator (the same secrets on every run). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** Heads in memory, listed in a scrambled order, `pageSize` at most 97, some names listed twice. */
function memoryProvider(name: string, heads: Map<string, SecretHead>, opts: { refuse?: RegExp; duplicates?: SecretHead[] } = {}) {
  const calls = { list: 0, head: 0 };
  const order = [...heads.values()].sort((a, b) => hash(a.name) - hash(b.name) || (a.name < b.name ? -1 : 1));
  const listing = [...order, ...(opts.duplicates ?? [])];
  const provider: Provider = {
    name,
    type: "memory",
    capabilities: { maxValueBytes: 4096, versions: false, checkAndSet: true, softDelete: false, batchGet: 1, maxPageSize: 97, nameRule: "test" },
    nameFits: (_t, n) => (opts.refuse?.test(n) ? { ok: false, reason: "refused by the test" } : { ok: true, nativeName: n }),
    async list(_tenant, o = {}) {
      calls.list++;
      const from = o.cursor === undefined ? 0 : Number(o.cursor);
      const size = Math.min(o.pageSize ?? 50, 97);
      const items = listing.slice(from, from + size);
      return { items, cursor: from + size < listing.length ? String(from + size) : undefined };
    },
    async head(_tenant, n) {
      calls.head++;
      const h = heads.get(n);
      if (!h) throw new NotFoundError(`no ${n}`);
      return h;
    },
    get: () => Promise.reject(new InvalidInputError("the planner reads no value")),
    getMany: () => Promise.reject(new InvalidInputError("the planner reads no value")),
    put: () => Promise.reject(new InvalidInputError("the planner writes nothing")),
    delete: () => Promise.reject(new InvalidInputError("the planner writes nothing")),
    versions: () => Promise.reject(new InvalidInputError("not used")),
    health: async () => ({ ok: true, latencyMs: 0 }),
    close: async () => undefined,
  };
  return { provider, calls };
}

const hash = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};

const DIGESTS = ["hmac-sha256:aa", "hmac-sha256:bb", "hmac-sha256:cc"];
const N = 3000;
const names = Array.from({ length: N }, (_, i) => `app/${i % 13}/s-${String(i).padStart(5, "0")}${i % 41 === 0 ? "-refused" : ""}`);

/** A head in one of the shapes the diff distinguishes, with metadata the planner does not read. */
function head(r: (n: number) => number, name: string): SecretHead | undefined {
  const shape = r(10);
  if (shape < 3) return undefined;
  const version = String(1 + r(3));
  if (shape === 3) return { name, version, updatedAt: new Date(1), managed: false, metadata: {} };
  const metadata: Record<string, string> = { "pv-rev": String(1 + r(3)), "pv-kv": "1", "pv-labels": "b64:e30", "pv-enc": "envelope", other: "x".repeat(r(40)) };
  if (shape !== 4) metadata["pv-digest"] = DIGESTS[r(3)] as string;
  metadata["pv-size"] = String(shape === 5 ? 5000 : 100 + r(200));
  return { name, version, updatedAt: new Date(1_700_000_000_000 + r(1000)), managed: true, metadata };
}

async function world(tenants: TenantId[]) {
  const r = rng(20261205);
  const state = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), "pv-plan-stream-")), "state.db"));
  const sides = { src: new Map<string, SecretHead>(), t1: new Map<string, SecretHead>(), t2: new Map<string, SecretHead>() };
  for (const tenant of tenants) {
    for (const name of names) {
      for (const m of Object.values(sides)) {
        const h = head(r, name);
        if (h) m.set(name, h);
      }
      for (const target of ["t1", "t2"]) {
        if (r(4) === 0) continue;
        const rec = {
          route: "r",
          target,
          tenant,
          name,
          sourceDigest: DIGESTS[r(3)] as string,
          sourceRevision: 1 + r(3),
          targetVersion: String(1 + r(3)),
          syncedAt: new Date(1),
        };
        await state.upsert(rec);
      }
    }
  }
  // The same listing for every tenant (the double ignores the tenant): what differs per tenant is the records.
  const dupes = [...sides.src.values()].slice(0, 5).map((h) => ({ ...h, version: "9" }));
  const src = memoryProvider("src", sides.src, { duplicates: dupes });
  const t1 = memoryProvider("t1", sides.t1, { refuse: /-refused$/ });
  const t2 = memoryProvider("t2", sides.t2);
  return { state, src, t1, t2, sides };
}

const tenants = ["acme", "globex"].map(parseTenantId);
const w = await world(tenants);
afterAll(() => w.state.close());

function route(over: Partial<RouteSpec> = {}): RouteSpec {
  return {
    name: "r",
    source: w.src.provider,
    targets: [
      { provider: w.t1.provider, encryption: "envelope" },
      { provider: w.t2.provider, encryption: "native" },
    ],
    tenants,
    prune: true,
    conflict: "source-wins",
    maxDeleteFraction: 0.1,
    ...over,
  };
}

describe("the streaming planner gives the plan of the planner it replaced", () => {
  const cases: Array<[string, Partial<RouteSpec>, Parameters<typeof planRoute>[2]]> = [
    ["prune, source-wins, every tenant", {}, {}],
    ["no prune, policy fail", { prune: false, conflict: "fail" }, {}],
    ["target-wins, one tenant", { conflict: "target-wins" }, { tenants: [parseTenantId("globex")] }],
    ["a caller allowed some names only", {}, { allowName: (t, n) => t === "acme" || !n.startsWith("app/3/") }],
    ["push on write: a few names, some absent everywhere", {}, { names: [...names.slice(0, 40), "never/there", names[2999] as string] }],
  ];
  for (const [label, over, options] of cases) {
    it(label, async () => {
      const lists = () => w.src.calls.list + w.src.calls.head;
      let before = lists();
      const streamed = await planRoute(route(over), w.state, options);
      const sourceLists = lists() - before;
      before = lists();
      const reference = await referencePlanRoute(route(over), w.state, options);
      expect(streamed).toStrictEqual(reference);
      // The source was read page by page, as often as before.
      expect(sourceLists).toBe(lists() - before);
      if (!options?.names) expect(sourceLists).toBeGreaterThanOrEqual(30);
      expect(streamed.actions.length).toBeGreaterThan(options?.names ? 40 : 2000);
    });
  }

  it("the plans cover every kind of action and the stale records", async () => {
    const plan = await planRoute(route(), w.state);
    const kinds = new Set(plan.actions.map((a) => `${a.action}/${a.apply}`));
    for (const k of [
      "create/write",
      "update/write",
      "delete/delete",
      "noop/none",
      "noop/verify",
      "drift/write",
      "drift/verify",
      "conflict/none",
      "conflict/write",
    ])
      expect(kinds).toContain(k);
    expect(plan.stateRefresh.length).toBeGreaterThan(0);
    expect(plan.actions.some((a) => a.reason.startsWith("target cannot hold it"))).toBe(true);
  });
});

describe("the streaming planner on real file providers", () => {
  it("a tenant of 1,150 secrets across pages of 1,000: the same plan as before", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-plan-stream-file-"));
    const source = createFileProvider({ name: "local", dir: join(dir, "store") });
    const target = createFileProvider({ name: "mirror", dir: join(dir, "mirror") });
    const state = new SqliteStateStore(join(dir, "state.db"));
    const tenant = parseTenantId("acme");
    const r = rng(7);
    const value = Buffer.from("not an envelope: the planner reads no value");
    const put = (p: Provider, n: string, digest: string) =>
      p.put(tenant, n, value, { metadata: { "pv-digest": digest, "pv-rev": "1", "pv-size": "40" }, ifVersion: null });
    for (let i = 0; i < 1150; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const n = `f/${String(i + k).padStart(5, "0")}`;
          const d = DIGESTS[r(3)] as string;
          if (r(5)) await put(source, n, d);
          if (r(3)) {
            const h = await put(target, n, r(2) ? d : (DIGESTS[0] as string));
            if (r(4))
              await state.upsert({
                route: "r",
                target: "mirror",
                tenant,
                name: n,
                sourceDigest: d,
                sourceRevision: 1,
                targetVersion: h.version,
                syncedAt: new Date(1),
              });
          }
        }),
      );
    }
    const spec: RouteSpec = {
      name: "r",
      source,
      targets: [{ provider: target, encryption: "envelope" }],
      tenants: [tenant],
      prune: true,
      conflict: "source-wins",
      maxDeleteFraction: 0.1,
    };
    const streamed = await planRoute(spec, state);
    expect(streamed).toStrictEqual(await referencePlanRoute(spec, state));
    expect(streamed.actions.length).toBeGreaterThan(1000);
    await state.close();
  });
});
