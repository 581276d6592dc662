/**
 * The one place where AWS SDK and network failures become Polyvault errors.
 * Rules: a missing secret is NotFound only when AWS says so (never for a network, permission or unknown
 * failure); throttling and server/network faults are the only retryable outcomes; messages name the
 * operation and AWS's error code, never a value.
 */
import {
  ConflictError,
  InternalError,
  InvalidInputError,
  NotFoundError,
  type PolyvaultError,
  ThrottledError,
  UnauthorizedError,
  UnavailableError,
  isPolyvaultError,
} from "@polyvault/core";

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "LimitExceededException", // a Secrets Manager quota (e.g. versions per window): try again later
]);
const SERVER = new Set(["InternalServiceError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException"]);
const AUTH = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "CredentialsProviderError",
  "DecryptionFailure", // KMS refused: almost always the key policy or the caller's kms:Decrypt permission
  "EncryptionFailure",
]);
const INVALID = new Set([
  "InvalidParameterException",
  "InvalidRequestException",
  "ValidationException",
  "InvalidNextTokenException",
  "MalformedPolicyDocumentException",
  "SerializationException",
]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** AWS answers InvalidRequestException for any call on a secret that is scheduled for deletion. */
export function isPendingDeletion(err: unknown): boolean {
  const e = err as AwsLikeError;
  return e?.name === "InvalidRequestException" && /marked (for )?delet|scheduled for deletion/i.test(e.message ?? "");
}

/** Validation messages can quote a request field; keep AWS's words but drop anything quoted. */
function clean(message: string | undefined): string {
  return (message ?? "")
    .replace(/'[^']*'/g, "'…'")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}

function retryAfterMs(e: AwsLikeError): number | undefined {
  const h = e.$response?.headers?.["retry-after"];
  if (h === undefined) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export interface ErrorContext {
  /** The configured provider name. */
  readonly provider: string;
  /** What was being done, e.g. `get acme/db/url`: names only, never a value. */
  readonly what: string;
}

export function toPolyvaultError(err: unknown, ctx: ErrorContext): PolyvaultError {
  if (isPolyvaultError(err)) return err;
  const e = (err ?? {}) as AwsLikeError;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const opts = { cause: err, provider: ctx.provider };
  const says = `${ctx.what}: AWS ${name}${e.message ? `: ${clean(e.message)}` : ""}`;

  if (name === "AbortError" || name === "TimeoutError" || NETWORK.has(e.code ?? ""))
    return new UnavailableError(`${ctx.what}: Secrets Manager unreachable (${e.code ?? name})`, opts);
  // An answer that is not Secrets Manager's JSON (wrong endpoint, proxy or load-balancer page).
  if (name === "SyntaxError" || /Deserialization error/.test(e.message ?? ""))
    return new UnavailableError(`${ctx.what}: the endpoint's answer (HTTP ${status ?? "?"}) is not Secrets Manager's`, opts);
  if (name === "ResourceNotFoundException") return new NotFoundError(`${ctx.what}: not found`, opts);
  if (isPendingDeletion(err)) return new NotFoundError(`${ctx.what}: not found (scheduled for deletion)`, opts);
  if (THROTTLING.has(name) || e.$retryable?.throttling || status === 429) {
    const after = retryAfterMs(e);
    return new ThrottledError(says, after === undefined ? opts : { ...opts, retryAfterMs: after });
  }
  if (AUTH.has(name) || status === 401 || status === 403) return new UnauthorizedError(says, opts);
  if (name === "ResourceExistsException" || name === "PreconditionNotMetException") return new ConflictError(says, opts);
  if (INVALID.has(name)) return new InvalidInputError(says, opts);
  if (SERVER.has(name) || (status !== undefined && status >= 500)) return new UnavailableError(says, opts);
  if (e.$fault === "client") return new InvalidInputError(says, opts);
  return new InternalError(`${ctx.what}: unexpected ${name}${e.message ? `: ${clean(e.message)}` : ""}`, opts);
}
