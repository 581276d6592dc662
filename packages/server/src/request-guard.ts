/**
 * A gateway on 127.0.0.1 is a target for every web page its operator opens (docs/gateway.md, "Running it"; anchors:
 * jupyter_server's check_host/check_origin, Vite's server.allowedHosts). Three checks run first, on every
 * request, before the rate limit, the body parser and authentication:
 *
 * - **Host** (DNS rebinding): a page on evil.example whose name is re-pointed at 127.0.0.1 talks to the
 *   gateway as its own origin, but its requests still say `Host: evil.example`. Answered: IP literals
 *   (a rebinding attack needs a DNS name), `localhost`, the name given to `--host`, and `allowedHosts`.
 * - **Origin / Sec-Fetch-Site** (cross-site requests): a browser states where a request comes from; a
 *   request from another origin is refused, whatever its method. One exception: a top-level navigation
 *   (a link followed to the status page) outside `/v1/`, which can change nothing and read no secret.
 * - **Content type**: a state-changing request (POST, PUT, PATCH, DELETE) must say
 *   `Content-Type: application/json`, which no HTML form can send and no cross-site script can send
 *   without a CORS preflight, which this gateway never grants. A JSON content type with no body is fine.
 */
import { isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";

export interface HostRule {
  /** Names (no port) answered besides IP literals and localhost; `*` answers every name. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The address the gateway listens on (a name given to --host is answered too). */
  readonly listenHost?: string | undefined;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The host name of a Host header value (lowercase, no port, no brackets, no trailing dot), or undefined. */
export function hostnameOf(header: string): string | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/.exec(header);
  if (!m) return undefined;
  let host = (m[1] as string).toLowerCase();
  if (host.startsWith("[")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  return host;
}

export function hostAllowed(header: string | undefined, rule: HostRule): boolean {
  if (rule.allowedHosts?.includes("*")) return true;
  if (header === undefined) return false;
  const host = hostnameOf(header);
  if (host === undefined || host === "") return false;
  if (isIP(host) !== 0 || host === "localhost") return true;
  const listen = rule.listenHost === undefined ? undefined : hostnameOf(rule.listenHost);
  if (listen !== undefined && host === listen) return true;
  return (rule.allowedHosts ?? []).some((n) => hostnameOf(n) === host);
}

/** Why a request is cross-origin, or undefined when it is not (or the client, not a browser, says nothing). */
export function crossOrigin(req: Pick<FastifyRequest, "headers" | "method" | "url">): string | undefined {
  const site = req.headers["sec-fetch-site"];
  const origin = req.headers.origin;
  const navigation = (req.method === "GET" || req.method === "HEAD") && req.headers["sec-fetch-mode"] === "navigate" && !req.url.startsWith("/v1/");
  if (navigation) return undefined;
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site is ${site}`;
  if (origin === undefined) return undefined;
  if (typeof origin !== "string" || origin === "null") return "the request's Origin is opaque";
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return "the request's Origin is not a URL";
  }
  const host = (req.headers.host ?? "").toLowerCase();
  return originHost === host || originHost === host.replace(/:(80|443)$/, "") ? undefined : "the request's Origin is another site";
}

/** A JSON media type is required on state-changing requests. */
export function needsJson(req: Pick<FastifyRequest, "headers" | "method">): boolean {
  if (!STATE_CHANGING.has(req.method)) return false;
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  return type !== "application/json";
}

function refuse(req: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  req.log.info({ code, status, message }, "request refused");
  return reply.code(status).header("cache-control", "no-store").send({ error: { code, message } });
}

/** The onRequest hook: refuses before anything else runs. */
export function requestGuard(rule: HostRule) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!hostAllowed(req.headers.host, rule)) {
      await refuse(
        req,
        reply,
        403,
        "ACCESS_DENIED",
        "the Host header names a host this gateway does not answer to (a DNS-rebinding guard): use its address, localhost, or a name given with --allowed-host",
      );
      return;
    }
    const why = crossOrigin(req);
    if (why !== undefined) {
      await refuse(req, reply, 403, "ACCESS_DENIED", `cross-origin requests are refused (${why})`);
      return;
    }
    if (needsJson(req)) {
      await refuse(req, reply, 415, "INVALID_INPUT", `${req.method} requests must be sent with Content-Type: application/json (the body may be empty)`);
    }
  };
}
