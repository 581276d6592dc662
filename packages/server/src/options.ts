/** What createServer() accepts, with the defaults in one place. */
import type { DestinationStream } from "pino";

export interface ServerOptions {
  /** pino level (default "info"); `stream` replaces stdout (tests capture the log here). */
  readonly logger?: { readonly level?: string | undefined; readonly stream?: DestinationStream | undefined } | false | undefined;
  /** Requests per token (or per client address without one) per minute; 0 turns the limit off (default 6000). */
  readonly rateLimitPerMinute?: number | undefined;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Largest request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number | undefined;
  /** Serve the status page at `/` (default true). */
  readonly statusPage?: boolean | undefined;
  /** How long a provider health probe may take before the provider counts as down (default 2000 ms). */
  readonly healthTimeoutMs?: number | undefined;
  /** How long a health result is reused (default 2000 ms; 0: probe on every request). */
  readonly healthCacheMs?: number | undefined;
  /**
   * Host names answered besides IP literals, `localhost` and `listenHost` (DNS-rebinding guard,
   * request-guard.ts); `["*"]` answers any name (only behind a proxy that checks Host itself).
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The address being listened on (serve() sets it): a name given to --host is answered. */
  readonly listenHost?: string | undefined;
  /**
   * Without `access`: the token `/v1/…` requests must bear (serve() reads or creates
   * `<data-dir>/gateway.token`, local-token.ts). Ignored when access control is on.
   */
  readonly localToken?: { readonly token: string; readonly file: string } | undefined;
}

export const DEFAULTS = {
  level: "info",
  rateLimitPerMinute: 6000,
  bodyLimit: 1024 * 1024,
  healthTimeoutMs: 2000,
  healthCacheMs: 2000,
} as const;

/**
 * Log redaction: the Authorization header and any body or value field are replaced before a line is
 * written. Fastify's own request serializer logs no headers or bodies; these paths are the second line
 * of defence for anything a handler or plugin might log.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  "req.body",
  "body",
  "value",
  "valueBase64",
  "*.value",
  "*.valueBase64",
  "*.body",
  "token",
  "*.token",
];
