/**
 * Without access control there is no guard to report accesses, so this step (first of the
 * SecretManager's steps) tells the anomaly monitor of each operation, under the runtime's actor. With
 * access control on, the guard reports every decision instead (allowed and denied), and this step is
 * not used.
 */
import type { Operation, OperationStep } from "../manager/steps.js";
import type { AnomalyMonitor } from "./monitor.js";

export class AnomalyStep implements OperationStep {
  readonly name = "anomaly";
  constructor(
    readonly monitor: AnomalyMonitor,
    readonly actor: string,
  ) {}

  run<T>(op: Operation, next: () => Promise<T>): Promise<T> {
    this.monitor.observe({ principal: op.actor ?? this.actor, tenant: op.tenant, name: op.name, denied: false });
    return next();
  }
}
