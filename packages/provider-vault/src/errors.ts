/**
 * node-vault failures → the core hierarchy, in one place.
 *
 * node-vault rejects with an ApiResponseError ({ response: { statusCode, body } }) when Vault answered
 * with a status other than 200/204, and with the underlying axios error when it did not answer at all.
 * The axios error carries the request (headers with the token, the body with the value), so it is never
 * attached as a cause: the cause is a fresh Error holding only the status or network code and Vault's
 * own error text, which never echoes a request body.
 */
import {
  ConflictError,
  InternalError,
  InvalidInputError,
  NotFoundError,
  type PolyvaultError,
  ThrottledError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  isPolyvaultError,
} from "@polyvault/core";
import { CertificateError, RedirectRefused } from "./transport.js";

export interface ErrorContext {
  readonly provider: string;
  /** What was being done, e.g. `read metadata of polyvault/acme/db` (names only, never values). */
  readonly what: string;
}

/** Vault's answer to a KV v2 write whose `cas` is not the current version. */
const CAS_MISMATCH = /check-and-set parameter did not match/i;

interface ApiFailure {
  readonly statusCode: number;
  readonly messages: string[];
  /** The body was Vault's JSON (an object), not e.g. a proxy's HTML page. */
  readonly fromVault: boolean;
}

function apiFailure(err: unknown): ApiFailure | undefined {
  const response = (err as { response?: { statusCode?: unknown; body?: unknown } } | null)?.response;
  if (!response || typeof response.statusCode !== "number") return undefined;
  const body = response.body;
  const fromVault = typeof body === "object" && body !== null && ("errors" in body || "data" in body);
  const errors = fromVault ? (body as { errors?: unknown }).errors : undefined;
  const messages = Array.isArray(errors) ? errors.filter((e): e is string => typeof e === "string") : [];
  return { statusCode: response.statusCode, messages, fromVault };
}

/** Network-level code of an axios/Node error (ECONNREFUSED, ECONNABORTED, ETIMEDOUT, ERR_NETWORK…). */
function networkCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; isAxiosError?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return e?.isAxiosError === true ? "ERR_NETWORK" : undefined;
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export function toPolyvaultError(err: unknown, ctx: ErrorContext): PolyvaultError {
  if (isPolyvaultError(err)) return err;
  const opts = (cause: Error) => ({ cause, provider: ctx.provider });
  // Neither is retried: a refused certificate or a redirect will not change by asking again.
  if (err instanceof CertificateError)
    return new UnauthorizedError(
      `${ctx.what}: vault's TLS certificate was not accepted (${err.code}): set providers.${ctx.provider}.tls.ca to the CA that signed it`,
      opts(new Error(`TLS certificate refused: ${err.code}`)),
    );
  if (err instanceof RedirectRefused)
    return new InvalidInputError(
      `${ctx.what}: ${err.message} (the token is never sent to another address); set the address to the node that answers`,
      opts(new Error(err.message)),
    );

  const api = apiFailure(err);
  if (api) {
    const said = clip(api.messages.join("; ")) || `HTTP ${api.statusCode}`;
    const cause = new Error(`vault answered HTTP ${api.statusCode}${api.messages.length ? `: ${said}` : ""}`);
    const msg = `${ctx.what}: ${said}`;
    const s = api.statusCode;
    // Only Vault's own 404 means "no such secret": a 404 page from something else at that address
    // (a proxy, a wrong port) says nothing about the secret.
    if (s === 404 && api.fromVault) return new NotFoundError(`${ctx.what}: not found`, opts(cause));
    if (s === 404) return new UnavailableError(`${ctx.what}: the address answered 404 but not as vault`, opts(cause));
    if (s === 400 && CAS_MISMATCH.test(said)) return new ConflictError(`${ctx.what}: the version changed (check-and-set)`, opts(cause));
    if (s === 401 || s === 403) return new UnauthorizedError(`${ctx.what}: vault refused the token (${said})`, opts(cause));
    if (s === 413) return new TooLargeError(`${ctx.what}: request larger than vault's max_request_size`, opts(cause));
    if (s === 429) return new ThrottledError(`${ctx.what}: vault rate limit (${said})`, opts(cause));
    // 412: a performance standby has not caught up with the write index yet; 5xx covers sealed (503).
    if (s === 412 || s >= 500) return new UnavailableError(`${ctx.what}: vault unavailable (${said})`, opts(cause));
    return new InvalidInputError(msg, opts(cause));
  }

  const code = networkCode(err);
  if (code !== undefined) {
    const cause = new Error(`network error ${code}`);
    const why = code === "ECONNABORTED" || code === "ETIMEDOUT" ? "did not answer in time" : `could not be reached (${code})`;
    return new UnavailableError(`${ctx.what}: vault ${why}`, opts(cause));
  }
  const kind = err instanceof Error ? err.name : typeof err;
  return new InternalError(`${ctx.what}: unexpected ${kind} from node-vault`, opts(new Error(kind)));
}
