/**
 * The gateway against its own /openapi.json, with fast-check: requests are generated from the document
 * (every operation; path parameters drawn from valid and invalid tenant ids and secret names; query
 * parameters and bodies from the operation's schemas and from mutations of them), sorted by ajv into
 * schema-valid and invalid, and sent with `inject` to a gateway over file providers, with `access` and
 * with the local token. A schema-valid request must get one of the operation's documented statuses and
 * never a validation error; an invalid one a documented 4xx; nothing a 5xx; a 2xx body matches the
 * documented schema. Every method a documented path does not have gets 405 with `Allow`.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, TOKENS, bearer, bed, seg } from "./helpers.js";
import { type Body, type Schema, arbFrom, bodyArb, valid } from "./schema-arb.js";

interface Param {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: Schema;
}
interface Operation {
  security: unknown[];
  parameters: Param[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, { description?: string }>; schemas: Record<string, unknown> };
}

const STATE_CHANGING = new Set(["post", "put", "patch", "delete"]);
const LOCAL_TOKEN = "L".repeat(43);

const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
// Valid names and tenants lean to the ones beforeAll stores, so that reads find something.
const GOOD_NAMES = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("db/password", "api-key") },
  { weight: 2, arbitrary: fc.constantFrom("app/.env", "a..b/c", ".hidden", "x-_.y") },
  { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/")) },
);
const BAD_NAMES = fc.constantFrom("", "/a", "a/", "a//b", ".", "..", "a/./b", "x/../y", "a b", "naïve", "a%b", "x".repeat(257), "a?b", "a#b");
const GOOD_TENANTS = fc.oneof({ weight: 3, arbitrary: fc.constantFrom("acme", "globex") }, fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/));
const BAD_TENANTS = fc.constantFrom("", "Acme", "-x", "_x", "a".repeat(64), "a.b", "a b", "ä", "..");

function paramArb(p: Param): fc.Arbitrary<string | undefined> {
  const good = p.name === "name" ? GOOD_NAMES : p.name === "tenant" ? GOOD_TENANTS : (arbFrom(p.schema) as fc.Arbitrary<string>);
  const bad = p.name === "name" ? BAD_NAMES : p.name === "tenant" ? BAD_TENANTS : fc.constantFrom("", "0", "-1", "x", "1.5", "TRUE", "1e3");
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad }, ...(p.required ? [] : [{ weight: 2, arbitrary: fc.constant(undefined) }]));
}

interface Case {
  key: string;
  op: Operation;
  method: string;
  params: Record<string, string | undefined>;
  body: Body;
  auth: "good" | "other" | "none";
  /** An undocumented query parameter is added. */
  extraQuery: boolean;
  /** The Content-Type of a state-changing request. */
  type: string | undefined;
}

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"];

function caseArb(doc: Doc): fc.Arbitrary<Case> {
  const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  return fc.constantFrom(...ops).chain(({ path, method, op }) =>
    fc.record({
      key: fc.constant(`${method.toUpperCase()} ${path}`),
      op: fc.constant(op),
      method: fc.constant(method),
      params: fc.record(Object.fromEntries(op.parameters.map((p) => [p.name, paramArb(p)]))),
      body: op.requestBody ? bodyArb(op.requestBody.content["application/json"]?.schema) : fc.constant<Body>({ kind: "none" }),
      auth: fc.constantFrom<Case["auth"]>("good", "good", "good", "good", "other", "none"),
      extraQuery: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...JSON_TYPES) }, fc.constantFrom(undefined, "text/plain", "application/x-www-form-urlencoded")),
    }),
  );
}

/** Whether the request is what the document describes. */
function schemaValid(c: Case): boolean {
  if (STATE_CHANGING.has(c.method) && !JSON_TYPES.includes(c.type as string)) return false;
  // The document's rule: an operation with query parameters refuses others; the rest ignore the query.
  if (c.extraQuery && c.op.parameters.some((p) => p.in === "query")) return false;
  for (const p of c.op.parameters) {
    const v = c.params[p.name];
    if (v === undefined ? p.required : !valid(p.schema, v)) return false;
  }
  const rb = c.op.requestBody;
  if (c.body.kind === "raw") return false;
  if (c.body.kind === "none") return !rb?.required;
  return rb === undefined || valid(rb.content["application/json"]?.schema ?? {}, c.body.value);
}

function urlOf(path: string, c: Case): string {
  let url = path.replace(/\{(\w+)\}/g, (_m, n: string) => seg(c.params[n] ?? ""));
  const query = c.op.parameters.filter((p) => p.in === "query" && c.params[p.name] !== undefined);
  const pairs = query.map((p) => `${p.name}=${encodeURIComponent(c.params[p.name] as string)}`);
  if (c.extraQuery) pairs.push("unlisted=1");
  if (pairs.length) url += `?${pairs.join("&")}`;
  return url;
}

for (const mode of ["principals", "local-token"] as const) {
  describe(`the gateway answers as /openapi.json says (${mode})`, () => {
    let b: Bed;
    let doc: Doc;
    const reached = new Map<string, { valid: number; invalid: number; statuses: Set<number> }>();
    beforeAll(async () => {
      b = await bed({
        access: mode === "principals",
        server: { rateLimitPerMinute: 0, ...(mode === "local-token" ? { localToken: { token: LOCAL_TOKEN, file: "/data/gateway.token" } } : {}) },
      });
      doc = (await b.app.inject({ method: "GET", url: "/openapi.json" })).json();
      const token = mode === "principals" ? TOKENS.admin : LOCAL_TOKEN;
      for (const name of ["db/password", "api-key"])
        for (const tenant of ["acme", "globex"])
          expect(
            (
              await b.app.inject({
                method: "PUT",
                url: `/v1/tenants/${tenant}/secrets/${seg(name)}`,
                headers: { ...bearer(token), ...JSON_TYPE },
                payload: { value: "s3cret" },
              })
            ).statusCode,
          ).toBe(200);
    });
    afterAll(async () => {
      const lines = [...reached].sort().map(([k, r]) => `${k}: ${r.valid} valid, ${r.invalid} invalid; statuses ${[...r.statuses].sort().join(",")}`);
      console.log(`cases per operation (${mode}):\n  ${lines.join("\n  ")}`);
      await b?.close();
    });

    it("says which token the secured operations take", () => {
      const scheme = doc.components.securitySchemes?.bearer;
      expect(scheme).toMatchObject({ type: "http", scheme: "bearer" });
      expect(scheme?.description).toMatch(mode === "principals" ? /principal's token/ : /local token/);
    });

    it("every generated request gets a documented status; valid ones no validation error, none a 5xx", async () => {
      const good = mode === "principals" ? TOKENS.admin : LOCAL_TOKEN;
      const other = mode === "principals" ? TOKENS.reader : "not-the-token";
      await fc.assert(
        fc.asyncProperty(caseArb(doc), async (c) => {
          const path = c.key.slice(c.key.indexOf(" ") + 1);
          const ok = schemaValid(c);
          const headers: Record<string, string> = {
            ...(STATE_CHANGING.has(c.method) && c.type !== undefined ? { "content-type": c.type } : {}),
            ...(c.op.security.length && c.auth !== "none" ? bearer(c.auth === "good" ? good : other) : {}),
          };
          const payload = c.body.kind === "json" ? JSON.stringify(c.body.value) : c.body.kind === "raw" ? c.body.text : undefined;
          const res = await b.app.inject({
            method: c.method.toUpperCase() as "GET",
            url: urlOf(path, c),
            headers,
            ...(payload === undefined ? {} : { payload }),
          });
          const r = reached.get(c.key) ?? { valid: 0, invalid: 0, statuses: new Set<number>() };
          reached.set(c.key, r);
          r[ok ? "valid" : "invalid"]++;
          r.statuses.add(res.statusCode);
          const what = `${c.key} ${JSON.stringify({ ...c, op: undefined })} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          // An invalid request may address another path once its URL is normalized ('.' segments, empty
          // tenant): a 4xx, not necessarily one of this operation's.
          if (ok) expect(Object.keys(c.op.responses), what).toContain(String(res.statusCode));
          else expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
          if (STATE_CHANGING.has(c.method) && !JSON_TYPES.includes(c.type as string)) expect(res.statusCode, what).toBe(415);
          if (ok && res.statusCode === 400) expect(res.json().error.message, what).not.toMatch(/^(params|query|body)[.:]/);
          if (res.statusCode >= 400) expect(res.json(), what).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
          const schema = c.op.responses[String(res.statusCode)]?.content?.["application/json"]?.schema;
          if (res.statusCode < 300) {
            const types = Object.keys(c.op.responses[String(res.statusCode)]?.content ?? {});
            if (types.length)
              expect(
                types.some((t) => String(res.headers["content-type"]).startsWith(t)),
                what,
              ).toBe(true);
            if (schema) expect(valid(schema, res.json()), what).toBe(true);
          }
        }),
        { numRuns: Number(process.env.POLYVAULT_PROPERTY_RUNS ?? 400) },
      );
      const ops = Object.values(doc.paths).flatMap((item) => Object.keys(item)).length;
      expect(reached.size).toBe(ops);
    }, 900_000);

    it("a method a path does not have is 405 with Allow, in the error shape", async () => {
      for (const [path, item] of Object.entries(doc.paths)) {
        const url = path.replace("{tenant}", "acme").replace("{name}", "api-key");
        const allowed = Object.keys(item).map((m) => m.toUpperCase());
        if (allowed.includes("GET")) allowed.push("HEAD");
        for (const method of ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] as const) {
          if (allowed.includes(method)) continue;
          const res = await b.app.inject({ method, url, headers: JSON_TYPE });
          expect(res.statusCode, `${method} ${path}`).toBe(405);
          expect(res.headers.allow).toBe([...allowed].sort().join(", "));
          if (method !== "HEAD") expect(res.json().error.code).toBe("INVALID_INPUT");
        }
      }
    });
  });
}
