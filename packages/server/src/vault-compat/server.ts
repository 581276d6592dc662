/**
 * The Vault-compatible listener (`serve --vault-port`): a second fastify instance, on a port of its own
 * so that no tenant name can collide with the REST API's paths, sharing the REST gateway's request
 * scopes (tenants' managers, access control, lockout, audit) and metrics. Order of a request: request
 * id → the REST listener's Host and Origin checks (request-guard.ts), answered in Vault's error shape →
 * anything but GET/HEAD refused (405: this listener changes nothing, so it never parses a body) →
 * rate limit (per token digest, or per client address) → authenticate → the handler in the caller's
 * request scope → errors in Vault's shape (errors.ts).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Gateway } from "../app.js";
import { genReqId, loggerOptions } from "../fastify-options.js";
import { DEFAULTS, type ServerOptions } from "../options.js";
import { registerRateLimit } from "../rate-limit.js";
import { crossOrigin, hostAllowed } from "../request-guard.js";
import { type LocalToken, authenticateVault, tokenOf } from "./auth.js";
import { PERMISSION_DENIED, vaultError, vaultErrors } from "./errors.js";
import { answer } from "./handlers.js";
import { listMethodHandler } from "./list-method.js";
import { parseVaultRequest } from "./paths.js";

export interface VaultServerOptions extends Pick<ServerOptions, "logger" | "rateLimitPerMinute" | "tls" | "allowedHosts" | "listenHost"> {
  /** Without `access`: the local token every request must bear (as on the REST listener). */
  readonly localToken?: LocalToken | undefined;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header("cache-control", "no-store").type("application/json").send(body);
}

function refuse(req: FastifyRequest, reply: FastifyReply, status: number, errors: readonly string[]): FastifyReply {
  req.log.info({ status, message: errors.join("; ").slice(0, 300) }, "vault request refused");
  return send(reply, status, { errors: vaultErrors(errors) });
}

export async function createVaultServer(gateway: Gateway, options: VaultServerOptions = {}): Promise<FastifyInstance> {
  const { scopes, metrics, runtime } = gateway;
  const app = Fastify({
    logger: loggerOptions(options.logger, { listener: "vault", redact: ['req.headers["x-vault-token"]'] }),
    genReqId,
    frameworkErrors: (_err, _req, reply) => void (reply as unknown as FastifyReply).code(400).send({ errors: ["invalid request URL"] }),
    bodyLimit: 1024,
    // LIST, which Node's HTTP parser refuses, is answered here (list-method.ts).
    clientErrorHandler: listMethodHandler(() => app),
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    const a = vaultError(err, req.id);
    if (a.status >= 500) req.log.error({ err }, "vault request failed");
    else req.log.info({ status: a.status, message: a.errors.join("; ").slice(0, 300) }, "vault request refused");
    return send(reply, a.status, { errors: vaultErrors(a.errors) });
  });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    const rule = { allowedHosts: options.allowedHosts, listenHost: options.listenHost };
    if (!hostAllowed(req.headers.host, rule)) {
      return refuse(req, reply, 403, [
        PERMISSION_DENIED,
        "the Host header names a host this gateway does not answer to (a DNS-rebinding guard): use its address, localhost, or a name given with --allowed-host",
      ]);
    }
    const why = crossOrigin({ headers: req.headers, method: req.method, url: "/v1/" });
    if (why !== undefined) return refuse(req, reply, 403, [PERMISSION_DENIED, `cross-origin requests are refused (${why})`]);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return refuse(req, reply, 405, ["unsupported operation", "this gateway answers Vault KV v2 reads only (GET, and LIST)"]);
    }
  });

  await registerRateLimit(app, runtime, options.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute, tokenOf, "vault");

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const request = parseVaultRequest(req.method === "HEAD" ? "GET" : req.method, req.url, false);
    if (request.kind === "refused") return refuse(req, reply, request.status, request.errors);
    const principal = await authenticateVault(req, scopes, options.localToken);
    const out = await answer(request, { principal, requestId: req.id }, scopes, metrics);
    for (const [k, v] of Object.entries(out.headers ?? {})) reply.header(k, v);
    return send(reply, out.status, out.body);
  };
  app.route({
    method: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "/*",
    // Counted while it runs: the gateway's close waits for it (inflight.ts).
    handler: (req, reply) => gateway.inflight.track(() => handle(req, reply)),
  });
  app.setNotFoundHandler((req, reply) => refuse(req, reply, 404, [`no handler for route "${(req.url.split("?")[0] ?? "").slice(0, 300)}"`]));
  app.addHook("onResponse", async (req, reply) => {
    metrics.httpDuration.observe({ method: req.method, route: "vault", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  return app;
}
