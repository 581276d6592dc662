/**
 * One mapping from whatever the Azure SDK throws to Polyvault's error hierarchy. A permission or network
 * failure is never reported as NotFound; nothing is swallowed. Messages name the operation, the secret
 * name and the service's own error code and text (which never echo a value), nothing else.
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

export interface ErrorContext {
  /** The configured provider name. */
  readonly provider: string;
  /** What was being done, e.g. `get "db/url" in tenant acme`. */
  readonly what: string;
  readonly timeoutMs: number;
}

interface AzureLikeError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** Network failures seen below HTTP: connection refused, reset, DNS, TLS handshake. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "REQUEST_SEND_ERROR",
  "UND_ERR_SOCKET",
]);
const CREDENTIAL_ERRORS = new Set(["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError", "AuthenticationRequiredError"]);

/** Milliseconds from Retry-After (seconds or an HTTP date) or Azure's retry-after-ms headers. */
export function retryAfterMs(err: AzureLikeError): number | undefined {
  const h = err.response?.headers;
  if (!h) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const ms = Number(h.get(name));
    if (h.get(name) && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const ra = h.get("retry-after");
  if (!ra) return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function brief(e: AzureLikeError): string {
  const text = (e.message ?? "").split("\n")[0]?.slice(0, 240) ?? "";
  return e.code && !text.includes(e.code) ? `${e.code}: ${text}` : text;
}

export function mapAzureError(err: unknown, ctx: ErrorContext): PolyvaultError {
  if (isPolyvaultError(err)) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as AzureLikeError;
  const opts = { cause: err, provider: ctx.provider };
  const at = `azure provider ${ctx.provider}: ${ctx.what}`;

  if (e.name === "AbortError" || e.name === "TimeoutError") return new UnavailableError(`${at}: Key Vault did not answer within ${ctx.timeoutMs} ms`, opts);
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) return new UnauthorizedError(`${at}: could not get an Azure token (${e.name}: ${brief(e)})`, opts);

  const status = e.statusCode;
  if (status === undefined) {
    if (e.code !== undefined && NETWORK_CODES.has(e.code)) return new UnavailableError(`${at}: Key Vault unreachable (${brief(e)})`, opts);
    // A failure without an HTTP status that is not a known network code: still the service side
    // (TLS, a malformed answer), so the caller may try again, and it is never NotFound.
    return new UnavailableError(`${at}: request failed (${e.name ?? "Error"}: ${brief(e)})`, opts);
  }
  const detail = `${status} ${brief(e)}`;
  if (status === 404) return new NotFoundError(`${at}: not found (${detail})`, opts);
  if (status === 409) return new ConflictError(`${at}: conflict (${detail})`, opts);
  if (status === 429) {
    const after = retryAfterMs(e);
    return new ThrottledError(`${at}: throttled (${detail})`, after === undefined ? opts : { ...opts, retryAfterMs: after });
  }
  if (status === 401 || status === 403) return new UnauthorizedError(`${at}: not authorized (${detail})`, opts);
  if (status === 413) return new TooLargeError(`${at}: too large for Key Vault (${detail})`, opts);
  if (status === 408 || status >= 500) return new UnavailableError(`${at}: Key Vault failed (${detail})`, opts);
  if (status >= 400) return new InvalidInputError(`${at}: refused (${detail})`, opts);
  return new InternalError(`${at}: unexpected answer (${detail})`, opts);
}
