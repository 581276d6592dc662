/**
 * Reading input with a bound: stdin, a value file, a .env file, a configuration file, a backup bundle.
 * Reading stops one byte past the limit (a `--value-file /dev/zero` or an endless pipe can no longer
 * fill the memory) and the input is refused with TooLargeError (exit 2), before anything is parsed or
 * stored. What was read is wiped: it may be a secret.
 */
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { TooLargeError } from "./errors.js";

/** Bounds used by the CLI and the runtime (docs/cli.md, "Input limits"). */
export const INPUT_LIMITS = {
  /** A secret value from stdin or --value-file: the largest value any provider stores (the file provider's). */
  value: 1024 * 1024,
  /** A passphrase on stdin. */
  passphrase: 4096,
  /** A .env file or template. */
  dotenv: 4 * 1024 * 1024,
  /** polyvault.yaml. */
  config: 1024 * 1024,
  /** A PEM certificate or key. */
  pem: 1024 * 1024,
  /** A backup bundle. */
  bundle: 256 * 1024 * 1024,
} as const;

const size = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

export function tooLarge(what: string, limit: number): TooLargeError {
  return new TooLargeError(`${what} is larger than ${size(limit)}; it was not read past that limit and nothing was changed`);
}

function wipeAll(chunks: Buffer[]): void {
  for (const c of chunks) c.fill(0);
}

/** All of a stream, or TooLargeError as soon as it passes `limit` bytes (the stream is then destroyed). */
export async function readStreamBounded(stream: NodeJS.ReadableStream, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(b);
      total += b.length;
      if (total > limit) throw tooLarge(what, limit);
    }
    return Buffer.concat(chunks, total);
  } finally {
    wipeAll(chunks);
  }
}

/** A file (regular, device, FIFO) read to at most `limit` bytes; errno errors pass through for the caller to word. */
export async function readFileBounded(path: string, limit: number, what: string): Promise<Buffer> {
  // `end` is inclusive: at most limit + 1 bytes are read, enough to tell "too large".
  return readStreamBounded(createReadStream(path, { start: 0, end: limit }), limit, what);
}

/** The synchronous form, for start-up code (the configuration file). */
export function readFileBoundedSync(path: string, limit: number, what: string): Buffer {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(limit + 1);
  try {
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooLarge(what, limit);
    }
    return Buffer.from(buf.subarray(0, total));
  } finally {
    buf.fill(0);
    closeSync(fd);
  }
}
