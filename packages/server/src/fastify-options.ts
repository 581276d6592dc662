/**
 * What both listeners (the REST API and `serve --vault-port`) give fastify alike: the logger — redacted
 * (options.ts, REDACT_PATHS), the request path logged without its query string — and request ids (the
 * client's X-Request-Id when it is a plausible id, else a fresh UUID).
 */
import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { DEFAULTS, REDACT_PATHS, type ServerOptions } from "./options.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const genReqId = (req: { headers: Record<string, string | string[] | undefined> }): string => {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
};

/** fastify's `logger` option; `listener` names the listener in each request line, `redact` adds paths. */
export function loggerOptions(log: ServerOptions["logger"], extra: { listener?: string; redact?: readonly string[] } = {}) {
  if (log === false) return false;
  return {
    level: log?.level ?? DEFAULTS.level,
    ...(log?.stream ? { stream: log.stream } : {}),
    redact: { paths: [...REDACT_PATHS, ...(extra.redact ?? [])], censor: "[redacted]" },
    // The path without its query string: a client may have put something there it should not have.
    serializers: {
      req: (r: FastifyRequest) => ({
        ...(extra.listener ? { listener: extra.listener } : {}),
        method: r.method,
        url: r.url.split("?")[0] ?? "",
        remoteAddress: r.ip,
      }),
    },
  };
}
