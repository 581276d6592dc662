/**
 * The one place errors become HTTP answers (CONVENTIONS #6): a PolyvaultError's code maps through
 * core's HTTP_STATUS; fastify's own errors (validation, body too large, unsupported media type, rate
 * limit) get the same `{"error":{"code","message"}}` shape; anything else is a 500 whose message says
 * only where to look. Messages never hold a value: ours are value-free by contract, and fastify's are
 * generic (its JSON parser never passes on V8's syntax-error text, which quotes the input).
 */
import { type ErrorCode, HTTP_STATUS, InvalidInputError, isPolyvaultError } from "@polyvault/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface ErrorAnswer {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** Fastify and plugin statuses to our codes (the status itself is kept). */
const BY_STATUS: Record<number, ErrorCode> = {
  401: "UNAUTHORIZED",
  403: "ACCESS_DENIED",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "TOO_LARGE",
  429: "THROTTLED",
  503: "UNAVAILABLE",
};

export function describeHttpError(err: unknown, requestId: string): ErrorAnswer {
  if (isPolyvaultError(err)) return { status: HTTP_STATUS[err.code], code: err.code, message: err.message };
  const e = err as Partial<FastifyError> & { validation?: unknown };
  if (e?.validation !== undefined) return { status: 400, code: "INVALID_INPUT", message: e.message ?? "invalid request" };
  const status = typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 500;
  // Only fastify's own (FST_*) and the rate limiter's messages are passed on: they are generic texts.
  const trusted = typeof e?.code === "string" && (e.code.startsWith("FST_") || e.code === "THROTTLED");
  if (status < 500 && trusted) return { status, code: BY_STATUS[status] ?? "INVALID_INPUT", message: e.message ?? "invalid request" };
  if (status < 500) return { status, code: BY_STATUS[status] ?? "INVALID_INPUT", message: "the request was refused" };
  return { status, code: BY_STATUS[status] ?? "INTERNAL", message: `internal error; the gateway log has the details under request id ${requestId}` };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    // The path only, never the query string (a client may have put something there it should not have).
    const path = req.url.split("?")[0] ?? "";
    // An unmatched path below a secret is almost always a name with a raw '/': say how to send it.
    // Below /v1/, an empty, '.' or '..' segment can only be a tenant id or a secret name that is not
    // one (they never are empty, '.' or '..'): refused as such (400), so that a traversal attempt is
    // told apart from a missing secret (404).
    const segments = path.split("/").slice(1);
    const malformed = path.startsWith("/v1/") && segments.some((seg) => seg === "" || seg === "." || seg === "..");
    const hint = malformed
      ? " (an empty, '.' or '..' path segment: no tenant id or secret name is one; send a '/' inside a secret name as %2F)"
      : /^\/v1\/tenants\/[^/]+\/secrets\/[^/]+\/./.test(path)
        ? " (send a '/' inside a secret name as %2F)"
        : "";
    const status = hint ? 400 : 404;
    reply.code(status).send({ error: { code: hint ? "INVALID_INPUT" : "NOT_FOUND", message: `no route ${req.method} ${path.slice(0, 300)}${hint}` } });
  });
  // JSON bodies: fastify's parser (prototype-poisoning protection included), its errors in our codes and words.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    parseJson(req, body as string, (err: Error | null, value?: unknown) => {
      if (!err) return done(null, value);
      const empty = (err as FastifyError).code === "FST_ERR_CTP_EMPTY_JSON_BODY";
      // A route whose body is optional takes `Content-Type: application/json` with no body (the content
      // type is what a state-changing request must carry: request-guard.ts).
      if (empty && req.routeOptions.config?.bodyOptional) return done(null, undefined);
      done(
        new InvalidInputError(empty ? "the request body is empty but its content type is application/json" : "the request body is not valid JSON"),
        undefined,
      );
    });
  });
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = describeHttpError(err, req.id);
  if (answer.status >= 500 && answer.code === "INTERNAL") req.log.error({ err }, "request failed");
  else req.log.info({ code: answer.code, status: answer.status, message: answer.message }, "request refused");
  if (isPolyvaultError(err) && err.retryAfterMs !== undefined) reply.header("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
  return reply.code(answer.status).send({ error: { code: answer.code, message: answer.message } });
}
