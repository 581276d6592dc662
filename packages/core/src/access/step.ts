/**
 * The access OperationStep, first of the SecretManager's steps, so the CLI, the gateway and sync all pass
 * through it: the guard decides; a `list` answers only the names the caller's globs allow.
 */
import type { Operation, OperationStep } from "../manager/steps.js";
import { requestIdOf } from "../audit/step.js";
import type { Guard } from "./guard.js";

export class AccessStep implements OperationStep {
  readonly name = "access";
  constructor(readonly guard: Guard) {}

  async run<T>(op: Operation, next: () => Promise<T>): Promise<T> {
    const decision = await this.guard.check(op.tenant, op.action, op.name, requestIdOf(op));
    const result = await next();
    const visible = decision.visible;
    if (op.action === "list" && visible && Array.isArray(result)) {
      return result.filter((item: { name?: unknown }) => typeof item.name === "string" && visible(item.name)) as T;
    }
    return result;
  }
}
