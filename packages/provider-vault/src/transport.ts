/**
 * The HTTP transport node-vault uses here (its `request-promise` hook), on node:http / node:https, so
 * that TLS and redirects are decided by Polyvault's configuration and nothing else:
 * - certificates are verified unless the configuration says `tls.rejectUnauthorized: false`
 *   (node-vault's own transport turns verification off whenever VAULT_SKIP_VERIFY is set to anything,
 *   even "false"; that variable is ignored here), against `tls.ca` when given;
 * - redirects are never followed: a 3xx answer is returned as it is (and reported as an error), so the
 *   X-Vault-Token header never travels to another origin;
 * - a certificate the client refuses is a CertificateError (not retried, not reported as a timeout).
 */
import { type ClientRequest, type IncomingMessage, request as httpRequest } from "node:http";
import { Agent, request as httpsRequest } from "node:https";

export interface VaultTls {
  readonly ca?: string | Buffer | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
}

interface RpOptions {
  readonly method: string;
  readonly uri: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly timeout?: number;
}

export interface RpResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly request: { readonly path: string };
  /** Where a 3xx answer pointed (never followed). */
  readonly location?: string | undefined;
}

/** Node's codes for a certificate the client did not accept (the TLS handshake's verdict). */
const CERT_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|ERR_SSL_[A-Z_]+)$/;

export class CertificateError extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = "CertificateError";
  }
}

/** The response to a request answered with a redirect, marked so the error mapping can say so. */
export class RedirectRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly location: string | undefined,
  ) {
    super(`vault answered HTTP ${statusCode} (a redirect${location ? ` to ${safeOrigin(location)}` : ""}), which is never followed`);
    this.name = "RedirectRefused";
  }
}

function safeOrigin(location: string): string {
  try {
    return new URL(location).origin;
  } catch {
    return "an unparsable address";
  }
}

/** node-vault's `request-promise` option: `{ defaults() }` returning the request function. */
export function vaultTransport(tls: VaultTls | undefined): { defaults: () => (o: RpOptions) => Promise<RpResponse> } {
  const agent = new Agent({ keepAlive: true, rejectUnauthorized: tls?.rejectUnauthorized !== false, ...(tls?.ca === undefined ? {} : { ca: tls.ca }) });
  const send = (o: RpOptions): Promise<RpResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(o.uri);
      const body = o.json !== undefined && typeof o.json === "object" ? Buffer.from(JSON.stringify(o.json)) : undefined;
      const headers: Record<string, string | number> = { accept: "application/json", ...o.headers };
      if (body) {
        headers["content-type"] = "application/json";
        headers["content-length"] = body.length;
      }
      const options = { method: o.method, headers, ...(o.timeout ? { timeout: o.timeout } : {}) };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) return reject(new RedirectRefused(status, res.headers.location));
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (a proxy's page): kept as text; the error mapping says it was not vault
          }
          resolve({ statusCode: status, body: parsed, request: { path: url.pathname } });
        });
      };
      const req: ClientRequest = url.protocol === "https:" ? httpsRequest(url, { ...options, agent }, onResponse) : httpRequest(url, options, onResponse);
      req.on("timeout", () => req.destroy(Object.assign(new Error("vault did not answer in time"), { code: "ETIMEDOUT" })));
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (typeof err.code === "string" && CERT_CODES.test(err.code)) reject(new CertificateError(err.code, err.message));
        else reject(err);
      });
      req.end(body);
    });
  return { defaults: () => send };
}
