/**
 * Errors in Vault's shape: `{"errors":["…"]}` with the status Vault would use. A caller without a valid
 * token, or without the right, or locked out, gets 403 `permission denied` (Vault answers 403 to all of
 * these, and its clients treat 403 as "permission denied"); the Polyvault reason follows as a second
 * line. A missing secret is 404 `{"errors":[]}`, exactly as Vault answers it. Messages never hold a
 * value: Polyvault's are value-free by contract, and anything unexpected becomes a 500 that names only
 * the request id.
 */
import { isPolyvaultError } from "@polyvault/core";

export interface VaultErrorAnswer {
  readonly status: number;
  readonly errors: readonly string[];
}

export const PERMISSION_DENIED = "permission denied";

/**
 * The `errors` array as Vault writes it: one message alone, several as one string in Vault's
 * multierror format (`2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n`), which is
 * what Vault's clients print line by line.
 */
export function vaultErrors(messages: readonly string[]): string[] {
  if (messages.length <= 1) return [...messages];
  return [`${messages.length} errors occurred:\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`];
}

export function vaultError(err: unknown, requestId: string): VaultErrorAnswer {
  if (isPolyvaultError(err)) {
    switch (err.code) {
      case "UNAUTHORIZED":
      case "ACCESS_DENIED":
        return { status: 403, errors: [PERMISSION_DENIED, err.message] };
      case "NOT_FOUND":
        return { status: 404, errors: [] };
      case "INVALID_INPUT":
        return { status: 400, errors: [`invalid request: ${err.message}`] };
      case "THROTTLED":
        return { status: 429, errors: [err.message] };
      case "UNAVAILABLE":
        return { status: 503, errors: [err.message] };
      case "TOO_LARGE":
        return { status: 413, errors: [err.message] };
      case "CONFLICT":
        return { status: 409, errors: [err.message] };
      default:
        return { status: 500, errors: [`internal error; the gateway log has the details under request id ${requestId}`] };
    }
  }
  // fastify's and the rate limiter's own errors: generic texts, passed on below 500.
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 500;
  const trusted = typeof e?.code === "string" && (e.code.startsWith("FST_") || e.code === "THROTTLED");
  if (status < 500) return { status, errors: [trusted && typeof e.message === "string" ? e.message : "the request was refused"] };
  return { status, errors: [`internal error; the gateway log has the details under request id ${requestId}`] };
}
