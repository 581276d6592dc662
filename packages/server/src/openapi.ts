/**
 * The OpenAPI 3.1 document, built from the route declarations (route.ts) with zod 4's own
 * `z.toJSONSchema` (OpenAPI 3.1 schemas are JSON Schema 2020-12, zod's default target). Input schemas
 * are rendered as the client sends them (`io: "input"`); refinements that JSON Schema cannot express
 * ("exactly one of value and valueBase64") are in the descriptions.
 */
import { z } from "zod";
import type { RouteDef } from "./route.js";
import { ErrorBody } from "./schemas.js";

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid input (tenant, name, body or query)",
  401: "No token, or a token that matches no principal",
  403: "Access denied, or the principal is locked out",
  404: "Not found",
  409: "Conflict (a concurrent change, or a secret Polyvault does not manage)",
  413: "Too large for the tenant's primary provider",
  422: "A check failed",
  429: "Rate limit of this token exceeded",
  500: "Integrity failure or internal error",
  503: "Provider unavailable (and no mirror could answer)",
};

function schemaOf(s: z.ZodType): Json {
  const out = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

function parameters(where: "path" | "query", s: z.ZodType | undefined): Json[] {
  if (!s) return [];
  const json = schemaOf(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    ...(typeof schema.description === "string" ? { description: schema.description } : {}),
    schema,
  }));
}

export function openApiDocument(defs: readonly RouteDef[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const d of defs) {
    const path = d.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(d.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema ? { content: { [r.contentType ?? "application/json"]: { schema: schemaOf(r.schema) } } } : {}),
      };
    }
    const errors = [...(d.params || d.querystring || d.body ? [400] : []), ...(d.auth ? [401, 403, 429] : []), ...(d.errors ?? []), 500];
    for (const status of errors)
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? "Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    const item = paths[path] ?? {};
    paths[path] = item;
    item[d.method.toLowerCase()] = {
      summary: d.summary,
      tags: [d.tag],
      ...(d.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [...parameters("path", d.params), ...parameters("query", d.querystring)],
      ...(d.body ? { requestBody: { required: !d.bodyOptional, content: { "application/json": { schema: schemaOf(d.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Polyvault gateway",
      version,
      description:
        'Multi-tenant secrets gateway. Errors are {"error":{"code","message"}}; a \'/\' in a secret name is sent as %2F. Responses never contain a value except GET of a secret.',
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } }, schemas: { Error: schemaOf(ErrorBody) } },
    security: [{ bearer: [] }],
    paths,
  };
}
