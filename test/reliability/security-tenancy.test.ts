/**
 * The cross-tenant matrix: every role (granted on tenant `home` only) × every operation that names a
 * tenant × the foreign tenant — on the CLI and on the HTTP gateway — is denied (exit 4 / HTTP 403),
 * never leaks the foreign tenant's value, and changes nothing there. A control run by `home`'s admin shows
 * each operation is valid as written (so the denials are about the tenant, not a malformed call), and
 * `audit export` gives a home-only principal no record of the foreign tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../harness/cli.js";
import { managerOn, readAll, withRuntime } from "./helpers/runtime.js";
import { type Gateway, startGateway } from "./helpers/serve.js";
import { ROLES, type TenancyBench, cliOperations, tenancyBench } from "./helpers/tenancy.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("security-tenancy");
let bench: TenancyBench;
let gateway: Gateway | undefined;

/** Runs `jobs` with at most `limit` at once. */
async function pool<T>(limit: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/** The foreign tenant as stored (source and mirror): names, values and version counts. */
async function foreignState(): Promise<unknown> {
  return withRuntime(
    bench.sb,
    async (rt) => {
      const out: Record<string, unknown> = {};
      for (const p of ["local", "mirror"]) {
        const provider = rt.provider(p);
        const values = Object.fromEntries([...(await readAll(rt, provider, "foreign"))].sort());
        const versions: Record<string, number> = {};
        for (const name of Object.keys(values)) versions[name] = (await managerOn(rt, provider, "foreign").versions(name)).length;
        out[p] = { values, versions };
      }
      return out;
    },
    { POLYVAULT_TOKEN: bench.tokens.root },
  );
}

const leaks = (text: string) => text.includes(bench.canary.foreign) || text.includes(Buffer.from(bench.canary.foreign).toString("base64"));

describe("cross-tenant matrix: every role × every operation × a foreign tenant", () => {
  beforeAll(async () => {
    bench = await tenancyBench("tenancy");
  }, 180_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it("CLI: all denied with exit 4, no foreign value in any output, nothing changed", { timeout: 600_000 }, async () => {
    const before = await foreignState();
    const jobs = ROLES.flatMap((role) =>
      cliOperations("foreign", role).map((o) => async () => {
        const r = await run(bench.sb, o.args, { env: { POLYVAULT_TOKEN: bench.tokens[role] }, ...(o.input === undefined ? {} : { input: o.input }) });
        tally.trial();
        tally.fault();
        tally.check(
          r.code === 4 && /^polyvault: ACCESS_DENIED: /.test(r.stderr),
          `${role} ${o.op} on the foreign tenant: exit ${r.code}, ${r.stderr.trim() || r.out.slice(0, 200)}`,
        );
        tally.check(!leaks(r.out) && !leaks(r.stderr), `${role} ${o.op}: the foreign value leaked`);
      }),
    );
    const settled = await pool(
      6,
      jobs.map(
        (j) => () =>
          j().then(
            () => "",
            (e: Error) => e.message,
          ),
      ),
    );
    expect(settled.filter(Boolean)).toEqual([]);
    tally.same(await foreignState(), before, "the foreign tenant is exactly as it was");
  });

  it("control: the same operations by home's admin on home are not denied", { timeout: 300_000 }, async () => {
    const results = await pool(
      6,
      cliOperations("home", "control").map((o) => async () => {
        const r = await run(bench.sb, o.args, { env: { POLYVAULT_TOKEN: bench.tokens.admin }, ...(o.input === undefined ? {} : { input: o.input }) });
        return r.code === 4 || /ACCESS_DENIED|UNAUTHORIZED/.test(r.stderr) || r.code === 2 ? `${o.op}: exit ${r.code} ${r.stderr.trim()}` : "";
      }),
    );
    tally.same(results.filter(Boolean), [], "every operation is valid as written");
  });

  it("audit export by home-only principals holds no record of the foreign tenant", async () => {
    for (const role of ["admin", "auditor"] as const) {
      const r = await run(bench.sb, ["audit", "export", "--format", "ndjson"], { env: { POLYVAULT_TOKEN: bench.tokens[role] } });
      tally.check(r.code === 0, `${role} audit export: ${r.stderr}`);
      const tenants = new Set(
        r.out
          .split("\n")
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { tenant?: string }).tenant),
      );
      tally.check(!tenants.has("foreign") && r.out.length > 0, `${role}: export holds tenants ${[...tenants].join(", ")}`);
      tally.check(!leaks(r.out), `${role}: no foreign value in the export`);
    }
  });

  it("HTTP: every tenant-scoped route of /openapi.json, for every role, on the foreign tenant → 403", { timeout: 120_000 }, async () => {
    const before = await foreignState();
    // docs/gateway.md: with access control on, serve itself starts under an operator's token.
    gateway = await startGateway(bench.sb, { POLYVAULT_TOKEN: bench.tokens.root });
    const doc = (await gateway.request("GET", "/openapi.json")).json as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>;
    };
    const calls: Array<{ method: string; path: string; body?: unknown }> = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const props = Object.keys(op.requestBody?.content?.["application/json"]?.schema?.properties ?? {});
        if (!path.includes("{tenant}") && !props.includes("tenant")) continue;
        const body = props.includes("tenant")
          ? { tenant: "foreign" }
          : props.includes("value")
            ? { value: "written-over-http" }
            : method === "post"
              ? {}
              : undefined;
        calls.push({ method: method.toUpperCase(), path: path.replace("{tenant}", "foreign").replace("{name}", "s"), ...(body === undefined ? {} : { body }) });
      }
    }
    tally.check(calls.length >= 8, `found the tenant-scoped routes (${calls.length})`);
    for (const role of ROLES) {
      for (const c of calls) {
        const r = await gateway.request(c.method, c.path, { token: bench.tokens[role], body: c.body });
        tally.trial();
        tally.fault();
        tally.check(r.status === 403, `${role} ${c.method} ${c.path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        tally.check(!leaks(r.text), `${role} ${c.method} ${c.path}: the foreign value leaked`);
      }
    }
    tally.same(await foreignState(), before, "the foreign tenant is exactly as it was");

    // Control run: the same routes on the principal's own tenant are not denied, so a route that answers
    // 403 to everyone cannot pass the matrix above.
    const home = calls.map((c) => ({
      ...c,
      path: c.path.replace("/tenants/foreign/", "/tenants/home/"),
      ...(c.body && typeof c.body === "object" && "tenant" in c.body ? { body: { ...c.body, tenant: "home" } } : {}),
    }));
    for (const c of home) {
      const r = await gateway.request(c.method, c.path, { token: bench.tokens.admin, body: c.body });
      tally.trial();
      tally.check(
        r.status !== 401 && r.status !== 403 && r.status < 500,
        `control: admin ${c.method} ${c.path} on home: HTTP ${r.status} ${r.text.slice(0, 200)}`,
      );
    }
  });
});
