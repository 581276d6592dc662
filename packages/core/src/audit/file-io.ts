/**
 * Synchronous file helpers for the audit log. The log's critical sections are short (read the tail,
 * one write, one fsync), and a checkpoint must also be writable from the process-exit hook, where only
 * synchronous calls run; so the log does its file work synchronously, waiting for the lock asynchronously.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

/**
 * A small JSON file that may not exist yet (audit.head, a witness file): undefined when it is absent,
 * else `{ value }` with what it parses to (undefined when it is not JSON); the caller checks the shape.
 */
export function readJsonFileSync(path: string): { value: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { value: undefined };
  }
}

export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (err) {
    if (!["EISDIR", "EPERM", "EINVAL", "EACCES"].some((c) => isErrno(err, c))) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces `path` atomically (temp file, fsync, rename, fsync of the directory); mode 0600. */
export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw err;
  }
  fsyncDirSync(dirname(path));
}

/** writeFileAtomicSync on the thread pool (the batch writer's audit.head and witness file). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dir = await open(dirname(path), "r").catch(() => undefined);
  if (dir)
    await dir
      .sync()
      .catch(() => undefined)
      .finally(() => dir.close());
}

export interface Tail {
  readonly ino: number;
  readonly size: number;
  /** The last complete line (without its newline); undefined for an empty file. */
  readonly lastLine: string | undefined;
  /** false when the file ends in the middle of a line (a torn write, or tampering). */
  readonly complete: boolean;
}

/** The last line of the file open as `fd`, reading backwards in chunks until a line start is found. */
export function readTail(fd: number): Tail {
  const { ino, size } = fstatSync(fd);
  if (size === 0) return { ino, size, lastLine: undefined, complete: true };
  let chunk = 8192;
  for (;;) {
    const start = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const complete = buf[buf.length - 1] === 0x0a;
    const body = complete ? buf.subarray(0, buf.length - 1) : buf;
    const nl = body.lastIndexOf(0x0a);
    if (nl >= 0 || start === 0) return { ino, size, lastLine: body.subarray(nl + 1).toString("utf8"), complete };
    chunk *= 4;
  }
}

/** Calls `fn` for each line (without its newline), in order, with its 1-based number; stops when fn returns false. */
export function forEachLine(
  path: string,
  fn: (line: string, lineNo: number) => boolean | undefined,
  chunkBytes = 1 << 20,
): { lines: number; endsWithNewline: boolean } {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(chunkBytes);
  let carry = Buffer.alloc(0);
  let lineNo = 0;
  let last = -1;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      last = buf[n - 1] ?? -1;
      let data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let nl = data.indexOf(0x0a);
      while (nl >= 0) {
        lineNo++;
        if (fn(data.subarray(0, nl).toString("utf8"), lineNo) === false) return { lines: lineNo, endsWithNewline: true };
        data = data.subarray(nl + 1);
        nl = data.indexOf(0x0a);
      }
      carry = Buffer.from(data);
    }
    if (carry.length) {
      lineNo++;
      fn(carry.toString("utf8"), lineNo);
    }
    return { lines: lineNo, endsWithNewline: last === 0x0a || lineNo === 0 };
  } finally {
    closeSync(fd);
  }
}
