/**
 * Vault's `LIST` HTTP method. Node's HTTP parser (llhttp) knows a fixed set of methods and rejects
 * `LIST` before any handler runs (HPE_INVALID_METHOD), so fastify never sees it. Vault's Go client (the
 * `vault` CLI, Vault Agent, External Secrets) sends `GET …?list=true` instead, but node-vault and curl
 * users send `LIST`. This client-error handler answers such a request: when the parser refused a
 * request that starts its chunk with `LIST `, carries a complete head of at most 16 KiB and no body, it
 * is replayed into the same fastify instance as `GET <path>?list=true` (every hook runs: Host and
 * Origin checks, rate limit, authentication, access, audit), the answer is written on the socket and
 * the connection closed. Anything else (a pipelined or malformed request) gets Vault's 400.
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

const MAX_HEAD = 16 * 1024;
const HOP_BY_HOP = new Set(["connection", "content-length", "transfer-encoding", "keep-alive"]);

interface ListRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** The LIST request at the start of `raw`, or undefined when it is not one this handler replays. */
export function parseListHead(raw: Buffer): ListRequest | undefined {
  const text = raw.subarray(0, MAX_HEAD + 4).toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("LIST ") || end === -1 || end + 4 !== raw.length) return undefined;
  const [line = "", ...lines] = text.slice(0, end).split("\r\n");
  const m = /^LIST (\/[\x21-\x7e]*) HTTP\/1\.[01]$/.exec(line);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(l);
    if (!h) return undefined;
    const name = (h[1] as string).toLowerCase();
    if (name in headers) return undefined;
    headers[name] = h[2] as string;
  }
  if (headers["transfer-encoding"] !== undefined || (headers["content-length"] ?? "0") !== "0") return undefined;
  const url = m[1] as string;
  return { url: `${url}${url.includes("?") ? "&" : "?"}list=true`, headers };
}

function write(socket: Socket, status: number, headers: Record<string, unknown>, body: string): void {
  if (socket.destroyed || !socket.writable) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`];
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k.toLowerCase()) && v !== undefined) lines.push(`${k}: ${String(v)}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, "connection: close", "", "");
  socket.end(lines.join("\r\n") + body);
}

/** fastify's `clientErrorHandler` for the Vault listener. */
export function listMethodHandler(app: () => FastifyInstance) {
  return (error: Error, socket: Socket): void => {
    const err = error as Error & { code?: string; rawPacket?: Buffer };
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const list = err.code === "HPE_INVALID_METHOD" && err.rawPacket ? parseListHead(err.rawPacket) : undefined;
    if (!list) {
      write(socket, 400, { "content-type": "application/json" }, JSON.stringify({ errors: ["invalid request"] }));
      return;
    }
    app()
      .inject({ method: "GET", url: list.url, headers: list.headers, remoteAddress: socket.remoteAddress ?? "" })
      .then(
        (res) => write(socket, res.statusCode, res.headers, res.body),
        () => write(socket, 500, { "content-type": "application/json" }, JSON.stringify({ errors: ["internal error"] })),
      );
  };
}
