/**
 * A route is declared once, with zod schemas for its params, query and body: register() hands them to
 * fastify (whose validator compiler runs zod, below) and openapi.ts turns the same declarations into
 * the OpenAPI document, so the document cannot drift from what the server accepts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route takes no body, or may be sent without one (an empty JSON body is then no body). */
    bodyOptional?: boolean;
  }
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType | undefined;
  /** Default application/json. */
  readonly contentType?: string | undefined;
}

export interface RouteDef<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: "GET" | "PUT" | "POST" | "DELETE";
  /** fastify syntax (`:param`). */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** Needs `Authorization: Bearer` when access control is on; runs inside the caller's request scope. */
  readonly auth: boolean;
  readonly params?: P | undefined;
  readonly querystring?: Q | undefined;
  readonly body?: B | undefined;
  /** The body may be left out (treated as `{}`). */
  readonly bodyOptional?: boolean | undefined;
  /** Success answers; the error answers are added by openapi.ts. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Error statuses this route can answer besides 400/401/403/429/500. */
  readonly errors?: readonly number[] | undefined;
  readonly handler: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** Declares a route with its handler's input typed from the schemas. */
export function route<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
  def: RouteDef<P, Q, B>,
): RouteDef {
  return def as unknown as RouteDef;
}

/** zod as fastify's validator: issues become one `where.path: message` line each (never the input). */
export function installZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const zod = schema as unknown as z.ZodType;
    return (data: unknown) => {
      const r = zod.safeParse(data);
      if (r.success) return { value: r.data };
      const where = httpPart === "querystring" ? "query" : (httpPart ?? "request");
      const lines = r.error.issues.map((i) => `${[where, ...i.path.map(String)].join(".")}: ${i.message}`);
      return { error: Object.assign(new Error(lines.join("; ")), { validation: r.error.issues.map((i) => ({ path: i.path.map(String), code: i.code })) }) };
    };
  });
}

export interface RouteHooks {
  /** Counts a handler while it runs (InFlight: the gateway's close waits for them). */
  readonly track: <T>(work: () => Promise<T>) => Promise<T>;
  /** Runs before validation on `auth` routes: resolves the caller, or throws. */
  readonly authenticate: (req: FastifyRequest) => Promise<void>;
}

/** The methods fastify answers; those a path does not declare get 405 (HEAD comes with GET). */
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] as const;

/** A 405 with `Allow` for each method a declared path does not have, in the one error shape. */
function registerNotAllowed(app: FastifyInstance, defs: readonly RouteDef[]): void {
  const byUrl = new Map<string, Set<string>>();
  for (const d of defs) {
    const set = byUrl.get(d.url) ?? new Set<string>();
    set.add(d.method);
    if (d.method === "GET") set.add("HEAD");
    byUrl.set(d.url, set);
  }
  for (const [url, allowed] of byUrl) {
    const others = METHODS.filter((m) => !allowed.has(m));
    const allow = [...allowed].sort().join(", ");
    if (others.length === 0) continue;
    app.route({
      method: [...others],
      url,
      config: { bodyOptional: true },
      handler: async (req, reply) => {
        reply
          .code(405)
          .header("allow", allow)
          .send({ error: { code: "INVALID_INPUT", message: `method ${req.method} is not allowed on this path; allowed: ${allow}` } });
      },
    });
  }
}

/**
 * An optional body left out is `{}`. Only a body that is not there: fastify's validator sees `null` for
 * both, and a JSON `null` is a body that is not an object (as the document says).
 */
async function noBodyIsEmpty(req: FastifyRequest): Promise<void> {
  if (req.body === undefined) req.body = {};
}

export function register(app: FastifyInstance, defs: readonly RouteDef[], hooks: RouteHooks): void {
  registerNotAllowed(app, defs);
  for (const def of defs) {
    app.route({
      method: def.method,
      url: def.url,
      schema: {
        ...(def.params ? { params: def.params } : {}),
        ...(def.querystring ? { querystring: def.querystring } : {}),
        ...(def.body ? { body: def.body } : {}),
      },
      preValidation: [...(def.auth ? [hooks.authenticate] : []), ...(def.body && def.bodyOptional ? [noBodyIsEmpty] : [])],
      config: { bodyOptional: def.bodyOptional === true || def.body === undefined },
      handler: (req, reply) => hooks.track(() => def.handler({ params: req.params, query: req.query, body: req.body }, req, reply)),
    });
  }
}
