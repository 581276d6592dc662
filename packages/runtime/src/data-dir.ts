/** docs/cli.md ("Where things live"): --data-dir, else $POLYVAULT_HOME, else ./.polyvault. */
import { resolve } from "node:path";

export function resolveDataDir(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env.POLYVAULT_HOME ?? ".polyvault");
}
