/**
 * The canary's check: the user's command, run once the canary targets hold the new value (as every
 * rotation command runs: execFile, no shell, timeout, bounded output, no Polyvault credentials). Exit 0
 * passes; anything else fails the canary, which is then rolled back everywhere.
 *
 * The new value reaches the check on stdin (the default; the bytes are zeroed afterwards) or, with
 * `valueEnv`, in that environment variable — never in its arguments, where `ps` would show it. Its
 * output is read (bounded) and dropped: errors name the command and its exit code, never what it printed.
 */
import { CheckFailedError, InvalidInputError } from "../errors.js";
import { commandEnv, runCommand } from "./command.js";
import type { ResolvedCanary } from "./policy.js";

export interface CanaryCheckSubject {
  readonly source: string;
  readonly tenant: string;
  readonly name: string;
  readonly revision: number;
  /** The canary targets (route:provider) that hold the new revision. */
  readonly targets: readonly string[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export async function runCanaryCheck(canary: ResolvedCanary, s: CanaryCheckSubject, value: Buffer, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const where = `canary check of ${s.source} (${canary.check[0] ?? ""}) for ${s.tenant}/${s.name}`;
  const extra: Record<string, string> = {
    POLYVAULT_TENANT: s.tenant,
    POLYVAULT_SECRET_NAME: s.name,
    POLYVAULT_REVISION: String(s.revision),
    POLYVAULT_CANARY_TARGETS: s.targets.join(","),
  };
  let input: Buffer | undefined = value;
  if (canary.valueEnv !== undefined) {
    extra[canary.valueEnv] = envSafe(value, where, canary.valueEnv);
    input = undefined;
  }
  const out = await runCommand(
    { argv: canary.check, where, env: commandEnv(env, extra), timeoutMs: canary.timeoutMs, input },
    (code) => new CheckFailedError(`${where} exited with code ${code}`),
  );
  out.fill(0);
}

/** An environment variable holds text without NUL: other values go on stdin. */
function envSafe(value: Buffer, where: string, name: string): string {
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    throw new InvalidInputError(`${where}: the value is not UTF-8 text, so it cannot be passed in ${name}; drop valueEnv to pass it on stdin`);
  }
  if (text.includes("\0"))
    throw new InvalidInputError(`${where}: the value contains a NUL byte, so it cannot be passed in ${name}; drop valueEnv to pass it on stdin`);
  return text;
}
