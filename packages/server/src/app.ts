/**
 * createServer(runtime, options): the gateway as a fastify instance, not yet listening (tests use
 * `inject`; serve.ts listens, runs the scheduler and shuts down on SIGTERM). Order of a request:
 * request id → Host, Origin and content-type checks (request-guard.ts) → rate limit (per token) →
 * body parse → authenticate (auth routes; the local token without `access`) → zod validation →
 * handler in the caller's request scope (access → audit → SecretManager) → the one error handler.
 */
import { createRequire } from "node:module";
import { RequestScopes, type Runtime } from "@polyvault/runtime";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { Activity } from "./activity.js";
import { installErrorHandling } from "./errors.js";
import { HealthMonitor } from "./health.js";
import { GatewayMetrics } from "./metrics/registry.js";
import { timed } from "./metrics/timing.js";
import { openApiDocument } from "./openapi.js";
import { checkLocalToken } from "./local-token.js";
import { genReqId, loggerOptions } from "./fastify-options.js";
import { DEFAULTS, type ServerOptions } from "./options.js";
import { InFlight } from "./inflight.js";
import { presentedDigest, registerRateLimit } from "./rate-limit.js";
import { requestGuard } from "./request-guard.js";
import { type RouteDef, installZodValidation, register } from "./route.js";
import { opsRoutes } from "./routes/ops.js";
import { secretRoutes } from "./routes/secrets.js";
import { statusRoutes } from "./routes/status.js";
import { syncRoutes } from "./routes/sync.js";

export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/** What the gateway adds to the fastify instance (`app.gateway`). */
export interface Gateway {
  readonly runtime: Runtime;
  readonly scopes: RequestScopes;
  readonly metrics: GatewayMetrics;
  readonly health: HealthMonitor;
  readonly activity: Activity;
  readonly routes: readonly RouteDef[];
  /** Route handlers still running (serve's close waits for them before the runtime closes). */
  readonly inflight: InFlight;
}

declare module "fastify" {
  interface FastifyInstance {
    gateway: Gateway;
  }
  interface FastifyRequest {
    principal?: string;
  }
}

/** A caller's X-Request-Id is kept when it is a plain token; otherwise a fresh UUID. */

export async function createServer(runtime: Runtime, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logger),
    genReqId,
    // A bad or over-long path segment: our error shape, and never the URL echoed back.
    frameworkErrors: (err, _req, reply) => {
      const long = err.code === "FST_ERR_MAX_PARAM_LENGTH";
      (reply as unknown as FastifyReply)
        .code(long ? 414 : 400)
        .send({ error: { code: "INVALID_INPUT", message: long ? "a path segment is longer than 1024 characters" : "the request URL is not valid" } });
    },
    bodyLimit: options.bodyLimit ?? DEFAULTS.bodyLimit,
    // Room for a 256-character name with every '/' sent as %2F.
    routerOptions: { maxParamLength: 1024 },
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  const activity = new Activity(runtime);
  const inflight = new InFlight();
  const health = new HealthMonitor(runtime, {
    timeoutMs: options.healthTimeoutMs ?? DEFAULTS.healthTimeoutMs,
    cacheMs: options.healthCacheMs ?? DEFAULTS.healthCacheMs,
  });
  // The metrics read the scopes' managers at scrape time, and the scopes' providers are timed into the
  // metrics' histogram: `wrap` runs when a tenant's manager is first built, by then `metrics` is set.
  let metrics: GatewayMetrics | undefined;
  const scopes = new RequestScopes(runtime, {
    wrap: (p) => timed(p, (metrics as GatewayMetrics).providerDuration),
    onPush: (runs) => {
      for (const r of runs) metrics?.recordRun(r.route, "push", activity.record(r, "push"));
    },
  });
  metrics = new GatewayMetrics({ runtime, scopes, health, activity });

  installErrorHandling(app);
  installZodValidation(app);
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });
  app.addHook("onRequest", requestGuard({ allowedHosts: options.allowedHosts, listenHost: options.listenHost }));
  // Drain on close: a response still in flight when close() began tells its client to hang up, so a
  // keep-alive connection does not hold the shutdown open until it times out.
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onSend", async (_req, reply) => {
    if (draining) reply.header("connection", "close");
  });
  app.addHook("onResponse", async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Per token digest, or per client address (rate-limit.ts).
  await registerRateLimit(
    app,
    runtime,
    options.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute,
    (req) => /^Bearer +(\S+)/i.exec(req.headers.authorization ?? "")?.[1],
    "api",
  );

  const routes: RouteDef[] = [];
  // Built once, on first request (the routes are all declared by then); what `auth` asks for follows the configuration.
  let doc: unknown;
  const security = scopes.security.enforcing ? "principals" : options.localToken ? "local-token" : "none";
  const document = () => {
    doc ??= openApiDocument(routes, VERSION, security);
    return doc;
  };
  routes.push(...secretRoutes(runtime, scopes, metrics), ...syncRoutes(runtime, scopes, metrics, activity), ...opsRoutes(health, metrics, VERSION, document));
  if (options.statusPage !== false) routes.push(...statusRoutes(runtime, health, activity, VERSION));
  register(app, routes, {
    track: (work) => inflight.track(work),
    authenticate: async (req) => {
      const local = scopes.security.enforcing ? undefined : options.localToken;
      if (local) {
        try {
          checkLocalToken(req.headers.authorization, local.token, local.file);
        } catch (err) {
          scopes.security.counters.inc("*");
          await scopes.security
            .record({ actor: "(unauthenticated)", action: "authenticate", outcome: "UNAUTHORIZED", reason: "not the local token", requestId: req.id })
            .catch(() => undefined);
          throw err;
        }
      }
      req.principal = await scopes.authenticate(req.headers.authorization, presentedDigest(req));
    },
  });
  app.decorate("gateway", { runtime, scopes, metrics, health, activity, routes, inflight });
  return app;
}
