/**
 * Reading secret values: from stdin or a file as raw bytes (never through a shell argument), or
 * generated. Both are read with a bound (INPUT_LIMITS.value): past it, reading stops and the command
 * exits 2 (TOO_LARGE) having changed nothing.
 */
import { INPUT_LIMITS, InvalidInputError, isPolyvaultError, generateSecret, readFileBounded, readStreamBounded } from "@polyvault/core";

/** All of `stream`, at most `limit` bytes (TooLargeError past it). */
export function readAll(stream: NodeJS.ReadableStream, limit: number, what: string): Promise<Buffer> {
  return readStreamBounded(stream, limit, what);
}

/** A file named on the command line, at most `limit` bytes; unreadable: InvalidInputError naming the flag. */
export async function readInputFile(file: string, limit: number, what: string): Promise<Buffer> {
  try {
    return await readFileBounded(file, limit, `${what} ${file}`);
  } catch (err) {
    if (isPolyvaultError(err)) throw err;
    throw new InvalidInputError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

export interface ValueSourceOptions {
  valueStdin?: boolean;
  valueFile?: string;
  generate?: boolean;
  length?: string;
  alphabet?: string;
}

/** Exactly one source; returns undefined when none is given and `optional` is set. */
export async function readValue(opts: ValueSourceOptions, stdin: NodeJS.ReadableStream, optional = false): Promise<Buffer | undefined> {
  const sources = [opts.valueStdin, opts.valueFile !== undefined, opts.generate].filter(Boolean).length;
  if (sources > 1) throw new InvalidInputError("give only one of --value-stdin, --value-file and --generate");
  if (sources === 0) {
    if (optional) return undefined;
    throw new InvalidInputError("give the value with --value-stdin, --value-file FILE or --generate (values are never taken from arguments)");
  }
  if (opts.valueStdin) return readAll(stdin, INPUT_LIMITS.value, "the value on stdin");
  if (opts.valueFile !== undefined) return readInputFile(opts.valueFile, INPUT_LIMITS.value, "--value-file");
  return generateSecret({ length: parseLength(opts.length), alphabet: opts.alphabet });
}

/** A whole number given to `flag` (the flag is named in the error). */
export function parseLength(raw: string | undefined, flag = "--length"): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new InvalidInputError(`${flag} must be a whole number (got ${JSON.stringify(raw)})`);
  return n;
}

/** `--label k=v`: a plain object, but refusing `__proto__`, which an object cannot hold as its own key. */
export function parseLabels(raw: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of raw ?? []) {
    const m = /^([A-Za-z0-9_.-]{1,64})=(.{0,256})$/.exec(item);
    if (!m) throw new InvalidInputError(`--label must be key=value with a key of letters, digits, '_', '.', '-' (got ${JSON.stringify(item.slice(0, 80))})`);
    const key = m[1] as string;
    if (key === "__proto__") throw new InvalidInputError("--label: __proto__ cannot be a label key");
    Object.defineProperty(out, key, { value: m[2] as string, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
