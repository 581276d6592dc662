/**
 * Where a Caller comes from: a runtime (the CLI and the library: the principal of $POLYVAULT_TOKEN, or
 * the local operator), a gateway request (RequestScopes.caller()), or, for a restore into a data
 * directory that must not be opened first, the configuration and token alone (openCaller).
 */
import { InternalError, LOCAL_OPERATOR, Security } from "@polyvault/core";
import type { PolyvaultConfig } from "../config/schema.js";
import type { Runtime } from "../runtime.js";
import { openSecurity } from "../steps.js";
import type { Caller } from "./operation.js";

/** The caller a runtime was opened for. */
export function callerOf(rt: Runtime): Caller {
  const bound = Security.bound(rt.options.steps);
  if (!bound) throw new InternalError("the runtime has no security steps (open it with Runtime.open)");
  return { security: bound.security, principal: bound.principal, actor: bound.principal ?? rt.options.actor ?? LOCAL_OPERATOR };
}

export interface OpenCallerOptions {
  readonly dataDir: string;
  readonly config: PolyvaultConfig;
  readonly env: NodeJS.ProcessEnv;
  /** The actor recorded without access control (default $POLYVAULT_ACTOR, else "local-operator"). */
  readonly actor?: string | undefined;
}

/** A caller from configuration and $POLYVAULT_TOKEN, without a runtime; close() seals its audit log. */
export async function openCaller(options: OpenCallerOptions): Promise<Caller & { close(): Promise<void> }> {
  const security = openSecurity(options);
  try {
    const principal = await security.authenticate(options.env.POLYVAULT_TOKEN, options.actor ?? options.env.POLYVAULT_ACTOR ?? LOCAL_OPERATOR);
    return { security, principal: security.enforcing ? principal : undefined, actor: principal, close: () => security.close() };
  } catch (err) {
    await security.close();
    throw err;
  }
}
