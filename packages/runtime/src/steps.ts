/**
 * The ordered operation steps every SecretManager runs (docs/architecture.md, "A request, step by step"): access check → audit → body.
 * Built once per runtime from configuration. With `access` configured, the caller is the principal whose
 * token is in $POLYVAULT_TOKEN (no token, or an unknown one: UnauthorizedError, exit 4, counted and
 * audited); without it, the local operator is admin and is recorded under the runtime's actor.
 * A configuration that differs from the one last recorded is audited as `config.change`.
 */
import { LOCAL_OPERATOR, type OperationStep, Security } from "@polyvault/core";
import type { PolyvaultConfig } from "./config/schema.js";

export interface StepContext {
  readonly dataDir: string;
  readonly config: PolyvaultConfig;
  readonly env: NodeJS.ProcessEnv;
  /** The actor recorded without access control (the CLI passes $POLYVAULT_ACTOR or "local-operator"). */
  readonly actor?: string | undefined;
}

export async function buildSteps(ctx: StepContext): Promise<OperationStep[]> {
  const security = openSecurity(ctx);
  const principal = await security.authenticate(ctx.env.POLYVAULT_TOKEN, ctx.actor ?? LOCAL_OPERATOR);
  await security.recordConfig(ctx.config, principal);
  return security.steps(security.enforcing ? principal : undefined, principal);
}

/** The audit log, access control and alerts of a data directory, from configuration. */
export function openSecurity(ctx: Pick<StepContext, "dataDir" | "config" | "env">): Security {
  return new Security({ dataDir: ctx.dataDir, env: ctx.env, access: ctx.config.access, alerts: ctx.config.alerts, audit: ctx.config.audit });
}
