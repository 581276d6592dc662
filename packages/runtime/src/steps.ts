/**
 * The ordered operation steps every SecretManager runs (CONVENTIONS #9): access check → audit → body.
 * Built once per runtime from configuration. (Access control and the audit log plug in here.)
 */
import type { OperationStep } from "@polyvault/core";
import type { PolyvaultConfig } from "./config/schema.js";

export interface StepContext {
  readonly dataDir: string;
  readonly config: PolyvaultConfig;
  readonly env: NodeJS.ProcessEnv;
}

export async function buildSteps(_ctx: StepContext): Promise<OperationStep[]> {
  return [];
}
