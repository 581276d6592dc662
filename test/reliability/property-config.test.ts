/**
 * The configuration parser (packages/runtime parseConfig) on random YAML-ish input: objects assembled
 * from the real keys and plausible values with random junk mixed in, random text, and `${ENV}`
 * references to set and unset variables. Every input gives a valid configuration or InvalidInputError —
 * never another error — and an accepted one is a fixed point (parsing its YAML again gives it back)
 * whose cross-references (primaries, mirrors, route sources and targets) name configured providers.
 */
import { InvalidInputError } from "@polyvault/core";
import { type PolyvaultConfig, parseConfig } from "@polyvault/runtime";
import fc from "fast-check";
import { describe, it } from "vitest";
import { stringify } from "yaml";
import { PROPERTY_RUNS } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("property-config");
const ENV = { SET_TOKEN: "s3t", EMPTY: "" };
/** `${NAME}` as the configuration file writes it (not a template placeholder of this file). */
const ref = (name: string) => `\${${name}}`;

const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);
const name = fc.constantFrom("local", "aws", "vault", "azure", "Bad Name", "x", "", "a".repeat(70), "__proto__", "constructor");
const tenant = fc.constantFrom("acme", "globex", "ACME", "a/b", "-x", "t_1");
const str = fc.oneof(
  fc.constantFrom(
    "http://127.0.0.1:4566",
    "https://localhost:8443",
    "us-east-1",
    "secret",
    ref("SET_TOKEN"),
    ref("UNSET_VAR"),
    ref("EMPTY"),
    "$NOTBRACED",
    "file:///x",
  ),
  fc.string({ maxLength: 20 }),
);
const num = fc.oneof(fc.integer({ min: -5, max: 400_000 }), fc.double({ noNaN: false }), fc.constantFrom(0, 1, 100, 99, 300_000, 300_001));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

/** Keys of the real schema plus a few that are not (unknown keys must be refused, not ignored). */
const provider = fc.record(
  {
    type: fc.oneof(fc.constantFrom("file", "aws", "azure", "vault", "gcp"), junk),
    dir: maybe(str),
    region: maybe(str),
    endpoint: maybe(str),
    vaultUrl: maybe(str),
    address: maybe(str),
    token: maybe(str),
    mount: maybe(str),
    prefix: maybe(fc.oneof(fc.constantFrom("pv", "Pv_1", "-bad", "a".repeat(40)), str)),
    timeoutMs: maybe(num),
    concurrency: maybe(num),
    rateLimit: maybe(fc.record({ perSecond: maybe(num), burst: maybe(num) }, { requiredKeys: [] })),
    credentials: maybe(fc.record({ accessKeyId: maybe(str), secretAccessKey: maybe(str) }, { requiredKeys: [] })),
    credential: maybe(fc.oneof(fc.record({ kind: fc.constantFrom("static", "default", "other"), token: maybe(str) }, { requiredKeys: ["kind"] }), junk)),
    tls: maybe(fc.record({ rejectUnauthorized: maybe(fc.oneof(fc.boolean(), junk)) }, { requiredKeys: [] })),
    unknownKey: maybe(junk),
  },
  { requiredKeys: ["type"] },
);
const target = fc.oneof(name, fc.record({ provider: name, encryption: maybe(fc.constantFrom("envelope", "native", "plain")) }, { requiredKeys: ["provider"] }));
const route = fc.record(
  {
    source: fc.oneof(name, junk),
    targets: fc.oneof(fc.array(target, { maxLength: 3 }), junk),
    tenants: fc.oneof(fc.constant("*"), fc.array(tenant, { maxLength: 3 }), junk),
    schedule: maybe(fc.constantFrom("*/5 * * * *", "", "nonsense")),
    prune: maybe(fc.oneof(fc.boolean(), junk)),
    conflict: maybe(fc.constantFrom("source-wins", "target-wins", "fail", "random")),
    maxDeleteFraction: maybe(num),
  },
  { requiredKeys: [] },
);
const principal = fc.record(
  {
    tokenSha256: fc.oneof(fc.constantFrom("a".repeat(64), "A".repeat(64), "abc"), str),
    roles: fc.array(
      fc.record({
        role: fc.constantFrom("admin", "writer", "reader", "auditor", "operator", "root"),
        tenants: fc.array(fc.oneof(tenant, fc.constant("*")), { maxLength: 2 }),
        secrets: maybe(fc.array(str, { maxLength: 2 })),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);
const config = fc.record(
  {
    providers: maybe(fc.oneof(fc.dictionary(name, provider, { maxKeys: 4 }), junk)),
    tenants: maybe(
      fc.oneof(
        fc.dictionary(tenant, fc.record({ primary: fc.oneof(name, junk), mirrors: maybe(fc.array(name, { maxLength: 3 })) }, { requiredKeys: [] }), {
          maxKeys: 3,
        }),
        junk,
      ),
    ),
    routes: maybe(fc.oneof(fc.dictionary(fc.constantFrom("r1", "r2", "R3", "a b"), route, { maxKeys: 2 }), junk)),
    access: maybe(fc.oneof(fc.record({ principals: fc.dictionary(fc.constantFrom("alice", "bob", "bad name"), principal, { maxKeys: 2 }) }), junk)),
    state: maybe(fc.oneof(fc.constantFrom("sqlite", "postgres://x", ""), junk)),
    audit: maybe(fc.record({ checkpointEvery: maybe(num), fsync: maybe(fc.constantFrom("always", "checkpoint", "never")) }, { requiredKeys: [] })),
    bogus: maybe(junk),
  },
  { requiredKeys: [] },
);

/**
 * Configurations built to be valid (each provider type with its own fields, tenants and routes naming
 * configured providers, a route's targets never one of its tenants' primaries), then sometimes bent by
 * one mutation: so that the properties about accepted configurations — and their cross-references —
 * are reached by most cases, not by a few lucky ones.
 */
const validProvider = fc.oneof(
  fc.record({ type: fc.constant("file"), dir: maybe(fc.constantFrom("./store", "./mirror-a", "/tmp/pv-prop")) }, { requiredKeys: ["type"] }),
  fc.record(
    {
      type: fc.constant("aws"),
      region: fc.constantFrom("us-east-1", "eu-west-3"),
      endpoint: maybe(fc.constant("http://127.0.0.1:4566")),
      prefix: maybe(fc.constantFrom("pv", "team-a")),
      timeoutMs: maybe(fc.integer({ min: 100, max: 60_000 })),
    },
    { requiredKeys: ["type", "region"] },
  ),
  fc.record(
    {
      type: fc.constant("vault"),
      address: fc.constant("http://127.0.0.1:8200"),
      token: fc.constantFrom(ref("SET_TOKEN"), "t"),
      mount: maybe(fc.constant("secret")),
    },
    { requiredKeys: ["type", "address", "token"] },
  ),
  fc.record({ type: fc.constant("azure"), vaultUrl: fc.constant("https://localhost:8443") }, { requiredKeys: ["type", "vaultUrl"] }),
);
const validConfig = fc
  .record({
    mirrors: fc.dictionary(fc.constantFrom("m1", "m2", "aws", "vault"), validProvider, { minKeys: 1, maxKeys: 3 }),
    tenants: fc.uniqueArray(fc.constantFrom("acme", "globex", "t_1", "acme-2"), { minLength: 1, maxLength: 3 }),
    withRoute: fc.boolean(),
    encryption: fc.constantFrom(undefined, "envelope", "native"),
    mutation: fc.option(fc.constantFrom("unknown-key", "bad-tenant", "route-to-primary", "missing-provider", "bad-schedule", "native-no-waiver"), {
      nil: undefined,
      freq: 3,
    }),
  })
  .map(({ mirrors, tenants, withRoute, encryption, mutation }) => {
    const mirrorNames = Object.keys(mirrors);
    const obj: Record<string, unknown> = {
      providers: { local: { type: "file" }, ...mirrors },
      tenants: Object.fromEntries(tenants.map((t) => [t, { primary: "local", mirrors: mirrorNames.slice(0, 2) }])),
    };
    if (withRoute)
      obj.routes = {
        r1: {
          source: "local",
          targets: mirrorNames.map((m) => (encryption ? { provider: m, encryption } : m)),
          tenants,
          schedule: "*/5 * * * *",
          prune: true,
          conflict: "source-wins",
          ...(encryption === "native" ? { nativeWaiver: "property test" } : {}),
        },
      };
    const routes = obj.routes as Record<string, Record<string, unknown>> | undefined;
    if (mutation === "unknown-key") obj.bogus = 1;
    if (mutation === "bad-tenant") (obj.tenants as Record<string, unknown>)["Bad/Tenant"] = { primary: "local" };
    if (mutation === "route-to-primary" && routes?.r1) routes.r1.targets = ["local"];
    if (mutation === "missing-provider") (obj.tenants as Record<string, unknown>)[tenants[0] as string] = { primary: "nowhere" };
    if (mutation === "bad-schedule" && routes?.r1) routes.r1.schedule = "every tuesday";
    if (mutation === "native-no-waiver" && routes?.r1) delete routes.r1.nativeWaiver;
    return obj;
  });

/** Either a configuration or InvalidInputError; anything else fails the property. */
function parsed(text: string): PolyvaultConfig | undefined {
  tally.trial();
  try {
    return parseConfig(text, "random.yaml", ENV);
  } catch (err) {
    tally.check(err instanceof InvalidInputError, `parseConfig threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    tally.fault();
    return undefined;
  }
}

function checkAccepted(c: PolyvaultConfig): void {
  const providers = new Set(Object.keys(c.providers ?? {}));
  for (const t of Object.values(c.tenants ?? {}))
    tally.check(providers.has(t.primary) && (t.mirrors ?? []).every((m) => providers.has(m)), "tenants name configured providers");
  for (const r of Object.values(c.routes ?? {})) {
    const targets = r.targets.map((x) => (typeof x === "string" ? x : x.provider));
    tally.check(providers.has(r.source) && targets.every((x) => providers.has(x) && x !== r.source), "routes name configured providers");
  }
  tally.same(parseConfig(stringify(c), "again.yaml", ENV), c, "an accepted configuration parses to itself");
}

describe(`configuration parser (${PROPERTY_RUNS} cases per property)`, () => {
  it("random configurations: a valid configuration or InvalidInputError, never a crash", () => {
    let accepted = 0;
    fc.assert(
      fc.property(config, (obj) => {
        const c = parsed(stringify(obj));
        if (c) {
          accepted++;
          checkAccepted(c);
        }
      }),
      { numRuns: PROPERTY_RUNS },
    );
    tally.note("random configs accepted", accepted);
  });

  it("near-valid configurations: the cross-reference properties are reached by most cases", () => {
    const reached = { accepted: 0, withTenant: 0, withRoute: 0, refused: 0 };
    fc.assert(
      fc.property(validConfig, (obj) => {
        const c = parsed(stringify(obj));
        if (!c) {
          reached.refused++;
          return;
        }
        reached.accepted++;
        if (Object.keys(c.tenants ?? {}).length > 0) reached.withTenant++;
        if (Object.keys(c.routes ?? {}).length > 0) reached.withRoute++;
        checkAccepted(c);
      }),
      { numRuns: PROPERTY_RUNS },
    );
    for (const [k, v] of Object.entries(reached)) tally.note(`near-valid configs: ${k}`, v);
    console.info(`[property-config] of ${PROPERTY_RUNS} near-valid cases: ${JSON.stringify(reached)}`);
    // Not vacuous: the properties about tenants and routes were exercised, and mutations were refused.
    tally.check(reached.withTenant >= PROPERTY_RUNS / 2, `cases with a tenant reached the property (${reached.withTenant})`);
    tally.check(reached.withRoute >= PROPERTY_RUNS / 4, `cases with a route reached the property (${reached.withRoute})`);
    tally.check(reached.refused > 0, `mutated cases were refused (${reached.refused})`);
  });

  it("random text (YAML syntax errors, scalars, anchors, huge numbers): InvalidInputError or a configuration", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...`providers:\n -{}[]&*!|>'"#%@\`, ${ref("")}\tlocal:type file`.split("")), maxLength: 200 }),
      fc.constantFrom(
        "providers: &a [*a]",
        "tenants: &t\n  acme: *t",
        "? [a]: b",
        "!!binary AAAA",
        "providers: !!js/function 'x'",
        "1e999999",
        "%YAML 9.9\n---\n",
      ),
    );
    fc.assert(
      fc.property(text, (t) => {
        const c = parsed(t);
        if (c) checkAccepted(c);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
