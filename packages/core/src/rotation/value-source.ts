/**
 * Where a rotated value comes from: a crypto-random generated value, or a policy's command, run with
 * execFile (no shell: the arguments are never parsed or expanded) and its stdout taken as the value
 * (one trailing newline removed). The command gets the tenant and secret name in its environment, and
 * never Polyvault's own credentials (master key, passphrase, token). Errors say what went wrong with
 * the command, never what it printed: a script may well echo the value on stderr.
 */
import { execFile } from "node:child_process";
import { InvalidInputError, UnavailableError } from "../errors.js";
import { generateSecret } from "../manager/generate.js";
import type { ResolvedPolicy } from "./policy.js";

/** Largest value a command may print. */
export const MAX_COMMAND_OUTPUT = 64 * 1024;
const WITHHELD_ENV = ["POLYVAULT_MASTER_KEY", "POLYVAULT_PASSPHRASE", "POLYVAULT_TOKEN"];

export async function rotationValue(policy: ResolvedPolicy, tenant: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (!policy.command) return generateSecret({ length: policy.length, alphabet: policy.alphabet });
  const [file, ...args] = policy.command;
  if (!file) throw new InvalidInputError(`rotation ${policy.source}: the command is empty`);
  const childEnv: NodeJS.ProcessEnv = { ...env, POLYVAULT_TENANT: tenant, POLYVAULT_SECRET_NAME: name };
  for (const k of WITHHELD_ENV) delete childEnv[k];
  const where = `rotation command of ${policy.source} (${file}) for ${tenant}/${name}`;
  const stdout = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      file,
      args,
      { shell: false, encoding: "buffer", env: childEnv, timeout: policy.timeoutMs, maxBuffer: MAX_COMMAND_OUTPUT, windowsHide: true },
      (err, out, errOut) => {
        errOut.fill(0);
        if (!err) return resolve(out);
        out.fill(0);
        // Only the kind of failure is kept: err.message and err.cmd may carry output or arguments.
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
        if (e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return reject(new InvalidInputError(`${where} printed more than ${MAX_COMMAND_OUTPUT} bytes`));
        if (e.code === "ENOENT" || e.code === "EACCES") return reject(new InvalidInputError(`${where} cannot be run (${e.code})`));
        if (e.killed && e.signal) return reject(new UnavailableError(`${where} did not finish within ${policy.timeoutMs / 1000} s`));
        if (typeof e.code === "number") return reject(new UnavailableError(`${where} exited with code ${e.code}`));
        reject(new UnavailableError(`${where} failed (${e.signal ? `signal ${e.signal}` : String(e.code ?? "error")})`));
      },
    );
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
