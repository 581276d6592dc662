/**
 * The per-token rate limit both listeners share (the REST API and `serve --vault-port`). A known token
 * gets its own budget, keyed by its digest (the limiter never holds a token); no token or an unknown one
 * counts against the client's address, so guessing tokens cannot escape the limit. Over the budget: 429
 * THROTTLED, shaped by each listener's own error handler.
 */
import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { Runtime } from "@polyvault/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** The token's digest (the rate-limit key). */
export const tokenDigest = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** Registers the limit when `perMinute` is above 0; `tokenOf` reads the token the way the listener does. */
export async function registerRateLimit(
  app: FastifyInstance,
  runtime: Runtime,
  perMinute: number,
  tokenOf: (req: FastifyRequest) => string | undefined,
): Promise<void> {
  if (perMinute <= 0) return;
  const known = new Set(Object.values(runtime.config.access?.principals ?? {}).map((p) => p.tokenSha256));
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const token = tokenOf(req);
      const digest = token === undefined ? undefined : tokenDigest(token);
      return digest !== undefined && known.has(digest) ? `t:${digest}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(
        new Error(`rate limit of ${ctx.max} requests per minute exceeded for this token or client address; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
        { statusCode: 429, code: "THROTTLED" },
      ),
  });
}
