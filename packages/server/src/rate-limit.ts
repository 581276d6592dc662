/**
 * The per-token rate limit both listeners share (the REST API and `serve --vault-port`). A known token
 * gets its own budget, keyed by its digest (the limiter never holds a token); no token or an unknown one
 * counts against the client's address, so guessing tokens cannot escape the limit. Over the budget: 429
 * THROTTLED, shaped by each listener's own error handler.
 */
import { hash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { TokenDigest } from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { sharedCounts, sharedStore } from "./cluster/rate-share.js";
import { workerRole } from "./cluster/worker.js";

const WINDOW_MS = 60_000;

/** The digest the limiter computed for a request's token, for authentication to reuse (one SHA-256 a request, not two). */
const digests = new WeakMap<FastifyRequest, TokenDigest>();

/** The token digest this request's rate limiting computed, if any (RequestScopes.authenticate checks it is the same token). */
export const presentedDigest = (req: FastifyRequest): TokenDigest | undefined => digests.get(req);

/**
 * Registers the limit when `perMinute` is above 0; `tokenOf` reads the token the way the listener does.
 * In a worker of `serve --workers N` the counts are the whole gateway's (cluster/rate-share.ts), each
 * listener (`listener`: "api", "vault") with its own budget, as in a single process.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  runtime: Runtime,
  perMinute: number,
  tokenOf: (req: FastifyRequest) => string | undefined,
  listener: "api" | "vault",
): Promise<void> {
  if (perMinute <= 0) return;
  const known = new Set(Object.values(runtime.config.access?.principals ?? {}).map((p) => p.tokenSha256));
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: WINDOW_MS,
    ...(workerRole() ? { store: sharedStore(sharedCounts(WINDOW_MS), `${listener}:`) } : {}),
    keyGenerator: (req) => {
      const token = tokenOf(req);
      if (token === undefined) return `ip:${req.ip}`;
      const sha256 = hash("sha256", token, "buffer");
      digests.set(req, { token, sha256 });
      const digest = sha256.toString("hex");
      return known.has(digest) ? `t:${digest}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(
        new Error(`rate limit of ${ctx.max} requests per minute exceeded for this token or client address; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
        { statusCode: 429, code: "THROTTLED" },
      ),
  });
}
