/**
 * Where a rotated value comes from: a crypto-random generated value, or a policy's command (run as
 * command.ts runs every user command: execFile, no shell, timeout, bounded output, no Polyvault
 * credentials in its environment), its stdout taken as the value (one trailing newline removed). The
 * command gets the tenant and secret name in its environment. Errors never quote what it printed.
 */
import { InvalidInputError } from "../errors.js";
import { generateSecret } from "../manager/generate.js";
import { commandEnv, runCommand } from "./command.js";
import type { ResolvedPolicy } from "./policy.js";

export { MAX_COMMAND_OUTPUT } from "./command.js";

export async function rotationValue(policy: ResolvedPolicy, tenant: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (!policy.command) return generateSecret({ length: policy.length, alphabet: policy.alphabet });
  const [file] = policy.command;
  if (!file) throw new InvalidInputError(`rotation ${policy.source}: the command is empty`);
  const where = `rotation command of ${policy.source} (${file}) for ${tenant}/${name}`;
  const stdout = await runCommand({
    argv: policy.command,
    where,
    env: commandEnv(env, { POLYVAULT_TENANT: tenant, POLYVAULT_SECRET_NAME: name }),
    timeoutMs: policy.timeoutMs,
  });
  let end = stdout.length;
  if (end > 0 && stdout[end - 1] === 0x0a) end--;
  if (end > 0 && stdout[end - 1] === 0x0d) end--;
  if (end === 0) {
    stdout.fill(0);
    throw new InvalidInputError(`${where} printed nothing: it must print the new value on stdout`);
  }
  if (end === stdout.length) return stdout;
  const value = Buffer.from(stdout.subarray(0, end));
  stdout.fill(0);
  return value;
}
