/**
 * The audit OperationStep. Fail closed, in two ways (docs/audit.md, "Fail closed"):
 * - a change (write, rotate, delete, rewrap) is preceded by a write-ahead "started" record; if that
 *   cannot be written the body never runs, so nothing changes; its outcome follows as a second record;
 * - a read, list or versions runs first and is recorded after, with its outcome; if that record cannot
 *   be written the result is withheld (a value is wiped) and the caller gets the audit error.
 */
import { randomUUID } from "node:crypto";
import { InternalError, isPolyvaultError } from "../errors.js";
import { SecretValue } from "../manager/secret-value.js";
import type { Operation, OperationStep } from "../manager/steps.js";
import type { AuditLog } from "./audit-log.js";
import type { AuditRecordInput } from "./types.js";

const CHANGES = new Set<string>(["write", "rotate", "delete", "rewrap"]);

export interface AuditStepOptions {
  /** The authenticated principal; else the operation's actor (the local operator without access control). */
  readonly actor?: string | undefined;
  /** Told when a record cannot be written (alerts). Never throws into the operation. */
  readonly onWriteFailure?: ((err: unknown, record: AuditRecordInput) => Promise<void> | void) | undefined;
}

export function errorOutcome(err: unknown): string {
  return isPolyvaultError(err) ? err.code : "INTERNAL";
}

/** The request id of an operation: the caller's (a gateway request), else a new one. */
export function requestIdOf(op: Operation): string {
  const given = (op as { requestId?: unknown }).requestId;
  return typeof given === "string" && given.length > 0 ? given : randomUUID();
}

export class AuditStep implements OperationStep {
  readonly name = "audit";
  constructor(
    readonly log: AuditLog,
    readonly options: AuditStepOptions = {},
  ) {}

  async run<T>(op: Operation, next: () => Promise<T>): Promise<T> {
    const actor = this.options.actor ?? op.actor ?? "unknown";
    const requestId = requestIdOf(op);
    // Each record made in one literal (a read makes one record: no base object spread into it).
    const record = (outcome: string, provider: string | undefined): AuditRecordInput => ({
      actor,
      tenant: op.tenant,
      action: op.action,
      name: op.name,
      requestId,
      provider,
      outcome,
    });
    const change = CHANGES.has(op.action);
    if (change) await this.#append(record("started", undefined));
    let result: T;
    try {
      result = await next();
    } catch (err) {
      // The operation failed anyway: record why; if even that fails, the original error is the one to report.
      await this.#append(record(errorOutcome(err), op.provider)).catch(() => undefined);
      throw err;
    }
    try {
      await this.#append(record("ok", op.provider));
    } catch (err) {
      if (result instanceof SecretValue) result.wipe();
      if (!change) throw err;
      // Too late to refuse: the change is made. Say so plainly (and not retryable: a retry would repeat it).
      const what = op.name === undefined ? `${op.action} in tenant ${op.tenant}` : `${op.action} of ${JSON.stringify(op.name)} in tenant ${op.tenant}`;
      throw new InternalError(
        `${what} was applied, but its outcome could not be written to the audit log (which holds its write-ahead record): ${(err as Error).message}`,
        { cause: err },
      );
    }
    return result;
  }

  async #append(record: AuditRecordInput): Promise<void> {
    try {
      await this.log.append(record);
    } catch (err) {
      await Promise.resolve(this.options.onWriteFailure?.(err, record)).catch(() => undefined);
      throw err;
    }
  }
}
