/**
 * The CLI's exit codes (docs/cli.md, "Exit codes"), the only table of them: every error code maps to one,
 * and a command returns these names, never a number.
 */
import type { ErrorCode } from "@polyvault/core";

export const EXIT = {
  OK: 0,
  /** A check or verification failed (also conflicts or drift left by sync apply). */
  CHECK_FAILED: 1,
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  ACCESS_DENIED: 4,
  UNAVAILABLE: 5,
  INTEGRITY: 6,
  /** `polyvault run`: the command to run was not found (as a shell says). */
  COMMAND_NOT_FOUND: 127,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES: Record<ErrorCode, ExitCode> = {
  CHECK_FAILED: EXIT.CHECK_FAILED,
  CONFLICT: EXIT.CHECK_FAILED,
  INTERNAL: EXIT.CHECK_FAILED,
  INVALID_INPUT: EXIT.INVALID_INPUT,
  TOO_LARGE: EXIT.INVALID_INPUT,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNAUTHORIZED: EXIT.ACCESS_DENIED,
  ACCESS_DENIED: EXIT.ACCESS_DENIED,
  UNAVAILABLE: EXIT.UNAVAILABLE,
  THROTTLED: EXIT.UNAVAILABLE,
  INTEGRITY: EXIT.INTEGRITY,
};
