/** Reading secret values: from stdin or a file as raw bytes (never through a shell argument), or generated. */
import { readFile } from "node:fs/promises";
import { InvalidInputError, generateSecret } from "@polyvault/core";

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  const out = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return out;
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
  if (opts.valueStdin) return readAll(stdin);
  if (opts.valueFile !== undefined) {
    try {
      return await readFile(opts.valueFile);
    } catch (err) {
      throw new InvalidInputError(`cannot read --value-file ${opts.valueFile}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  return generateSecret({ length: parseLength(opts.length), alphabet: opts.alphabet });
}

/** A whole number given to `flag` (the flag is named in the error). */
export function parseLength(raw: string | undefined, flag = "--length"): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new InvalidInputError(`${flag} must be a whole number (got ${JSON.stringify(raw)})`);
  return n;
}

export function parseLabels(raw: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of raw ?? []) {
    const m = /^([A-Za-z0-9_.-]{1,64})=(.{0,256})$/.exec(item);
    if (!m) throw new InvalidInputError(`--label must be key=value with a key of letters, digits, '_', '.', '-' (got ${JSON.stringify(item.slice(0, 80))})`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}
