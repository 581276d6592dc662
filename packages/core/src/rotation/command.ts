/**
 * How rotation runs a user's command (a value source, a canary check): execFile, never a shell (the
 * arguments are never parsed or expanded), a timeout, output bounded to MAX_COMMAND_OUTPUT, an
 * environment without Polyvault's own credentials, and optional bytes on stdin. Errors say what went
 * wrong with the command (cannot run, exit code, signal, timeout, too much output), never what it
 * printed: a script may well echo a value on stderr.
 */
import { execFile } from "node:child_process";
import { InvalidInputError, UnavailableError } from "../errors.js";

/** Largest output a command may print (stdout and stderr each). */
export const MAX_COMMAND_OUTPUT = 64 * 1024;
/** Never handed to a command: Polyvault's own credentials. */
export const WITHHELD_ENV: readonly string[] = ["POLYVAULT_MASTER_KEY", "POLYVAULT_PASSPHRASE", "POLYVAULT_TOKEN"];

export interface CommandRun {
  readonly argv: readonly string[];
  /** Names the command in errors: "rotation command of policies[0] (/bin/x) for acme/db". */
  readonly where: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Written to the command's stdin, then stdin is closed (closed at once without it). */
  readonly input?: Buffer | undefined;
}

/** The environment for a command: `base` minus Polyvault's credentials, plus `extra`. */
export function commandEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...extra };
  for (const k of WITHHELD_ENV) delete env[k];
  return env;
}

/**
 * Runs the command; resolves with its stdout when it exits 0. A non-zero exit is `onExit(code)`'s
 * error (UnavailableError by default). stderr is always zeroed and dropped.
 */
export function runCommand(run: CommandRun, onExit?: (code: number) => Error): Promise<Buffer> {
  const [file, ...args] = run.argv;
  if (!file) return Promise.reject(new InvalidInputError(`${run.where}: the command is empty`));
  return new Promise<Buffer>((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { shell: false, encoding: "buffer", env: run.env, timeout: run.timeoutMs, maxBuffer: MAX_COMMAND_OUTPUT, windowsHide: true },
      (err, out, errOut) => {
        errOut.fill(0);
        if (!err) return resolve(out);
        out.fill(0);
        reject(commandError(run, err, onExit));
      },
    );
    // A command that exits without reading its stdin is judged by its exit code, not by EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(run.input);
  });
}

function commandError(run: CommandRun, err: Error, onExit: ((code: number) => Error) | undefined): Error {
  const { where } = run;
  // Only the kind of failure is kept: err.message and err.cmd may carry output or arguments.
  const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
  if (e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return new InvalidInputError(`${where} printed more than ${MAX_COMMAND_OUTPUT} bytes`);
  if (e.code === "ENOENT" || e.code === "EACCES") return new InvalidInputError(`${where} cannot be run (${e.code})`);
  if (e.killed && e.signal) return new UnavailableError(`${where} did not finish within ${run.timeoutMs / 1000} s`);
  if (typeof e.code === "number") return onExit ? onExit(e.code) : new UnavailableError(`${where} exited with code ${e.code}`);
  return new UnavailableError(`${where} failed (${e.signal ? `signal ${e.signal}` : String(e.code ?? "error")})`);
}
