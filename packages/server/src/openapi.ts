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
  403: "Access denied, the principal is locked out, or the request guard refused it (a Host the gateway does not answer to, a cross-origin request)",
  404: "Not found",
  409: "Conflict (a concurrent change, or a secret Polyvault does not manage)",
  413: "Too large: the body exceeds the gateway's body limit, or the value the tenant's primary provider takes",
  414: "A path segment is longer than 1024 characters",
  415: "A state-changing request without Content-Type: application/json",
  422: "A check failed",
  429: "Rate limit of this token (or client address) exceeded",
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

/**
 * Who may call the `auth` operations: `principals` (the `access` section: a principal's token),
 * `local-token` (no `access`: the gateway's local token, docs/gateway.md), `none` (no `access` and no
 * local token: an embedded gateway, e.g. in tests; nothing is asked).
 */
export type SecurityMode = "principals" | "local-token" | "none";

const SCHEME: Record<Exclude<SecurityMode, "none">, Json> = {
  principals: {
    type: "http",
    scheme: "bearer",
    description: "A principal's token (the `access` section of the configuration holds its SHA-256); roles decide what it may do.",
  },
  "local-token": {
    type: "http",
    scheme: "bearer",
    description: "This gateway runs without `access`: the bearer token is its local token, kept in gateway.token in its data directory (mode 0600).",
  },
};

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function openApiDocument(defs: readonly RouteDef[], version: string, security: SecurityMode = "principals"): Json {
  const secured = security !== "none";
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
    const changing = STATE_CHANGING.has(d.method);
    const errors = new Set([
      ...(d.params || d.querystring || d.body || changing ? [400] : []),
      ...(d.auth && secured ? [401] : []),
      403,
      ...(d.params ? [414] : []),
      ...(changing ? [413, 415] : []),
      429,
      ...(d.errors ?? []),
      500,
    ]);
    for (const status of [...errors].sort((a, b) => a - b))
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? "Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    const item = paths[path] ?? {};
    paths[path] = item;
    item[d.method.toLowerCase()] = {
      summary: d.summary,
      tags: [d.tag],
      security: d.auth && secured ? [{ bearer: [] }] : [],
      parameters: [...parameters("path", d.params), ...parameters("query", d.querystring)],
      ...(d.body
        ? { requestBody: { required: !d.bodyOptional, content: { "application/json": { schema: schemaOf(d.body) } } } }
        : changing
          ? {
              requestBody: {
                required: false,
                description: "No body (Content-Type: application/json is still required)",
                content: { "application/json": { schema: {} } },
              },
            }
          : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Polyvault gateway",
      version,
      description:
        'Multi-tenant secrets gateway. Errors are {"error":{"code","message"}}; a \'/\' in a secret name is sent as %2F. Responses never contain a value except GET of a secret. POST, PUT, PATCH and DELETE must be sent with Content-Type: application/json, with or without a body (415 otherwise). A method a path does not have is answered 405 with an Allow header. An operation with query parameters refuses any other (400); the others ignore the query string.',
    },
    components: { ...(secured ? { securitySchemes: { bearer: SCHEME[security] } } : {}), schemas: { Error: schemaOf(ErrorBody) } },
    security: secured ? [{ bearer: [] }] : [],
    paths,
  };
}
