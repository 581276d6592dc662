/**
 * One error hierarchy for all of Polyvault. Every failure a user can see is a PolyvaultError with a
 * stable `code`; the CLI maps codes to exit codes and the HTTP gateway to statuses, each in one place.
 * Messages never contain a secret value: they name tenants, secret names, providers and causes only.
 */
export type ErrorCode =
  | "INVALID_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "THROTTLED"
  | "UNAVAILABLE"
  | "UNAUTHORIZED"
  | "ACCESS_DENIED"
  | "TOO_LARGE"
  | "INTEGRITY"
  | "CHECK_FAILED"
  | "INTERNAL";

export interface ErrorOptions {
  cause?: unknown;
  /** The provider that failed, when a provider call failed. */
  provider?: string;
  /** Milliseconds the caller should wait before retrying (from Retry-After or the SDK). */
  retryAfterMs?: number;
}

export abstract class PolyvaultError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
  /** "client": the request was wrong; "server": something outside the caller's control failed. */
  abstract readonly fault: "client" | "server";
  /** Whether repeating the same call later may succeed. */
  readonly retryable: boolean = false;
  readonly provider: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.provider = options.provider;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export class InvalidInputError extends PolyvaultError {
  override readonly name = "InvalidInputError";
  readonly code = "INVALID_INPUT";
  readonly fault = "client";
}
export class NotFoundError extends PolyvaultError {
  override readonly name = "NotFoundError";
  readonly code = "NOT_FOUND";
  readonly fault = "client";
}
export class ConflictError extends PolyvaultError {
  override readonly name = "ConflictError";
  readonly code = "CONFLICT";
  readonly fault = "client";
}
export class ThrottledError extends PolyvaultError {
  override readonly name = "ThrottledError";
  readonly code = "THROTTLED";
  readonly fault = "server";
  override readonly retryable = true;
}
export class UnavailableError extends PolyvaultError {
  override readonly name = "UnavailableError";
  readonly code = "UNAVAILABLE";
  readonly fault = "server";
  override readonly retryable = true;
}
export class UnauthorizedError extends PolyvaultError {
  override readonly name = "UnauthorizedError";
  readonly code = "UNAUTHORIZED";
  readonly fault = "client";
}
export class AccessDeniedError extends PolyvaultError {
  override readonly name = "AccessDeniedError";
  readonly code = "ACCESS_DENIED";
  readonly fault = "client";
}
export class TooLargeError extends PolyvaultError {
  override readonly name = "TooLargeError";
  readonly code = "TOO_LARGE";
  readonly fault = "client";
}
export class IntegrityError extends PolyvaultError {
  override readonly name = "IntegrityError";
  readonly code = "INTEGRITY";
  readonly fault = "server";
}
export class CheckFailedError extends PolyvaultError {
  override readonly name = "CheckFailedError";
  readonly code = "CHECK_FAILED";
  readonly fault = "client";
}
export class InternalError extends PolyvaultError {
  override readonly name = "InternalError";
  readonly code = "INTERNAL";
  readonly fault = "server";
}

export function isPolyvaultError(err: unknown): err is PolyvaultError {
  return err instanceof PolyvaultError;
}
