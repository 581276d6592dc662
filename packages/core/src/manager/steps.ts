/**
 * Cross-cutting work (access check, audit, metrics) runs as ordered, named steps around every
 * SecretManager operation, instead of each operation re-implementing it.
 */
import type { TenantId } from "../names.js";

export type Action = "read" | "write" | "rotate" | "delete" | "list" | "versions" | "rewrap";

export interface Operation {
  readonly tenant: TenantId;
  readonly action: Action;
  /** Absent for tenant-wide operations (list, rewrap). */
  readonly name?: string | undefined;
  /** Who asked (a principal id), when access control is on. */
  readonly actor?: string | undefined;
  /** The request this operation belongs to (the gateway's request id), recorded in the audit log. */
  readonly requestId?: string | undefined;
  /** Filled in by the operation: the provider that served or stored it. */
  provider?: string | undefined;
}

export interface OperationStep {
  readonly name: string;
  run<T>(op: Operation, next: () => Promise<T>): Promise<T>;
}

export function runSteps<T>(steps: readonly OperationStep[], op: Operation, body: () => Promise<T>): Promise<T> {
  const call = (i: number): Promise<T> => {
    const step = steps[i];
    return step ? step.run(op, () => call(i + 1)) : body();
  };
  return call(0);
}
