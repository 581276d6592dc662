/**
 * The store holds directories and regular files only. Someone who can write the data directory could
 * plant a symbolic link (to another tenant's secret, or outside the store) or a FIFO / device (a read that
 * never returns): neither is followed or opened. Version files are opened with O_NOFOLLOW | O_NONBLOCK and
 * checked with fstat on the opened descriptor; each directory between the store's root and a secret is
 * checked before use: one realpath(3) call whose answer must be the path itself (under the root's own real
 * path), and when it is not, or the path does not exist yet, an lstat per component that names the
 * offending one. A check and the later use are separate system calls, so a link swapped in
 * between by a concurrent attacker is not caught (docs/security-model.md says so).
 */
import { constants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { IntegrityError } from "@polyvault/core";

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function symlinkRefused(path: string, provider: string): IntegrityError {
  return new IntegrityError(`file provider: ${path} is a symbolic link; the store holds only directories and regular files, and follows no link`, {
    provider,
  });
}

/**
 * Refuses a symbolic link (or anything but a directory) at any component of `path` below `root` (the
 * root itself may be a link: it is the operator's choice). Components that do not exist yet end the walk.
 */
export async function assertNoLinks(root: string, path: string, provider: string): Promise<void> {
  const rel = relative(root, path);
  if (rel === "") return;
  if (rel.startsWith("..")) throw new IntegrityError(`file provider: ${path} is outside the store ${root}`, { provider });
  if (await resolvesToItself(root, rel)) return;
  await walk(root, rel, provider);
}

/** Real paths of store roots (a root may be a link: the operator's choice), resolved once per root. */
const realRoots = new Map<string, Promise<string | undefined>>();

/**
 * The fast path of a read: one realpath(3) (a single call into libuv's pool, where the walk below costs
 * one lstat per component). A path with no link in it resolves to itself under the root's real path; a
 * link anywhere below the root makes the answer differ (a link that resolves to its own place is a loop,
 * ELOOP). The trailing `/.` makes realpath fail with ENOTDIR when the last component is not a directory.
 * Any other answer, or an error, sends the caller to the walk, which says exactly what is wrong.
 */
async function resolvesToItself(root: string, rel: string): Promise<boolean> {
  let rootReal = realRoots.get(root);
  if (rootReal === undefined) {
    rootReal = realpath(root).catch(() => undefined);
    realRoots.set(root, rootReal);
  }
  const base = await rootReal;
  if (base === undefined) {
    realRoots.delete(root);
    return false;
  }
  try {
    return (await realpath(`${join(root, rel)}${sep}.`)) === join(base, rel);
  } catch {
    return false;
  }
}

async function walk(root: string, rel: string, provider: string): Promise<void> {
  let at = root;
  for (const part of rel.split(sep)) {
    at = join(at, part);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(at);
    } catch (err) {
      if (errno(err) === "ENOENT") return;
      throw err;
    }
    if (st.isSymbolicLink()) throw symlinkRefused(at, provider);
    if (!st.isDirectory()) throw new IntegrityError(`file provider: ${at} should be a directory and is not`, { provider });
  }
}

/**
 * Reads a regular file without following a link and without blocking on a FIFO. ENOENT is passed on
 * (the caller maps it); a link, a FIFO, a device or a file over `maxBytes` is an IntegrityError.
 */
export async function readRegularFile(path: string, maxBytes: number, provider: string): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errno(err) === "ELOOP") throw symlinkRefused(path, provider);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new IntegrityError(`file provider: ${path} is not a regular file; refusing to read it`, { provider });
    if (st.size > maxBytes) throw new IntegrityError(`file provider: ${path} holds ${st.size} bytes, more than any version file can`, { provider });
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
