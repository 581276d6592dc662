/** The gateway's HTTP statuses per error code (docs/gateway.md, "Errors"), the only table of them. */
import type { ErrorCode } from "@polyvault/core";

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  THROTTLED: 503,
  UNAVAILABLE: 503,
  INTEGRITY: 500,
  CHECK_FAILED: 422,
  INTERNAL: 500,
};
