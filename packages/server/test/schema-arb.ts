/**
 * Requests drawn from the OpenAPI document: fast-check arbitraries built from the JSON Schemas it holds
 * (the subset the gateway's document uses), mutations that break them, and ajv (JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1) to say whether what was drawn is valid. An object's `oneOf` branches of
 * the form `{required, not: {anyOf: [{required}]}}` steer which properties are drawn (a branch's
 * required properties, without those it excludes or the other branches require); every other
 * combination is drawn too, and ajv sorts them.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";

export type Schema = Record<string, unknown> & {
  type?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  oneOf?: Schema[];
  not?: { anyOf?: Schema[] };
};

export const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

/** Whether `value` is valid for `schema` (compiled once per schema text). */
export function valid(schema: Schema, value: unknown, components?: Record<string, unknown>): boolean {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(components ? { ...schema, components } : schema);
    compiled.set(key, v);
  }
  return v(value) as boolean;
}

/** Values for a schema: mostly valid ones (a `pattern` with a look-ahead is not drawn from: give those by hand). */
export function arbFrom(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case "string": {
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 40, 40);
      if (schema.pattern && !/\(\?[!=<]/.test(schema.pattern))
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY));
      return fc.string({ minLength: min, maxLength: Math.max(min, max) });
    }
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(arbFrom(schema.items ?? {}), { maxLength: 3 });
    case "object":
      return objectArb(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArb(schema: Schema): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {};
  const record = (required: string[], forbidden: string[]) =>
    fc.record(
      Object.fromEntries(
        Object.entries(props)
          .filter(([k]) => !forbidden.includes(k))
          .map(([k, v]) => [k, arbFrom(v)]),
      ),
      {
        requiredKeys: required,
      },
    );
  const base = schema.required ?? [];
  // A branch: its required properties, none of those it excludes nor those the other branches require.
  const oneOf = schema.oneOf ?? [];
  const branches = oneOf.map((b) => {
    const required = b.required ?? [];
    const others = oneOf.filter((o) => o !== b).flatMap((o) => o.required ?? []);
    return record(
      [...base, ...required],
      [...(b.not?.anyOf ?? []).flatMap((n) => n.required ?? []), ...others].filter((k) => !required.includes(k)),
    );
  });
  const fixed = fc.oneof(record(base, []), ...branches);
  const extra = schema.additionalProperties;
  if (typeof extra !== "object") return fixed;
  const keys = schema.propertyNames ? (arbFrom(schema.propertyNames) as fc.Arbitrary<string>) : fc.string({ maxLength: 10 });
  return fc.tuple(fixed, fc.dictionary(keys, arbFrom(extra), { maxKeys: 4 })).map(([a, b]) => ({ ...b, ...(a as object) }));
}

/** A body as sent: JSON, no body at all, or text that is not JSON. */
export type Body = { kind: "json"; value: unknown } | { kind: "none" } | { kind: "raw"; text: string };

/** Bodies for an operation: drawn from its schema, and mutations of those (most of them invalid). */
export function bodyArb(schema: Schema | undefined): fc.Arbitrary<Body> {
  const good = arbFrom(schema ?? { type: "object" });
  const json = (a: fc.Arbitrary<unknown>): fc.Arbitrary<Body> => a.map((value) => ({ kind: "json", value }));
  const mutated = good.chain((v) => {
    const obj = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    const keys = [...Object.keys(schema?.properties ?? {}), ...Object.keys(obj)];
    return fc.oneof(
      // one property given a value of another type (or none of the schema's)
      fc.tuple(fc.constantFrom(...(keys.length ? keys : ["value"])), fc.jsonValue({ maxDepth: 1 })).map(([k, x]) => ({ ...obj, [k]: x })),
      // a property the schema does not have
      fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 1 })).map(([k, x]) => ({ ...obj, [k]: x })),
      // many labels, long label values
      fc.integer({ min: 30, max: 40 }).map((n) => ({ ...obj, labels: Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, "v".repeat(i * 8)])) })),
      // not an object at all
      fc.oneof(fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }), fc.string({ maxLength: 5 }), fc.integer()),
    );
  });
  return fc.oneof(
    { weight: 5, arbitrary: json(good) },
    { weight: 4, arbitrary: json(mutated) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: "none" }) },
    { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: "raw", text: "{" }, { kind: "raw", text: '{"value":' }, { kind: "raw", text: "nul" }) },
  );
}
