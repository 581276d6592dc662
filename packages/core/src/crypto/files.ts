/**
 * The few file operations key material needs: private directories, exclusive creation, atomic
 * replacement (temp file + fsync + rename + fsync of the directory) and a lock file so that two
 * processes never change the keyring at the same time.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConflictError, IntegrityError } from "../errors.js";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

/** Creates `dir` (and parents) and makes sure `dir` itself is 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.platform !== "win32") await chmod(dir, PRIVATE_DIR_MODE);
}

/** fsync a directory so a rename or creation inside it survives a crash (no-op where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (err) {
    // Windows cannot open a directory; some filesystems refuse fsync on one. Nothing more to do there.
    if (!isErrno(err, "EISDIR") && !isErrno(err, "EPERM") && !isErrno(err, "EINVAL") && !isErrno(err, "EACCES")) {
      throw err;
    }
  } finally {
    await fh?.close();
  }
}

/** Opening flags that never block: a FIFO opens at once (and is then refused by its fstat). */
export const O_READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a small key-material file as UTF-8 without blocking on a FIFO or reading a device: anything but
 * a regular file of at most `maxBytes` is an IntegrityError naming the file. ENOENT is passed on.
 */
export async function readRegularText(path: string, maxBytes = 1024 * 1024): Promise<string> {
  const fh = await open(path, O_READ_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new IntegrityError(`${path} is not a regular file; refusing to read it`);
    if (st.size > maxBytes) throw new IntegrityError(`${path} is ${st.size} bytes, more than such a file can hold`);
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/** Writes a new file with O_CREAT|O_EXCL and mode 0600; an existing file is never touched. */
export async function writeFileExclusive(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, "wx", PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(data);
    if (process.platform !== "win32") await fh.chmod(PRIVATE_FILE_MODE); // in case umask was odd
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dirname(path));
}

/** Replaces `path` atomically: a reader sees the old content or the new, never a mix. Mode 0600. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFileExclusive(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 60_000;

/**
 * Runs `fn` while holding `<lockPath>` (created with O_EXCL). Waits up to 5 s for another holder;
 * a lock file older than 60 s is considered left behind by a crashed process and removed.
 */
export async function withLockFile<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await writeFileExclusive(lockPath, `${process.pid} ${new Date().toISOString()}\n`);
      break;
    } catch (err) {
      if (!isErrno(err, "EEXIST")) throw err;
      const age = await stat(lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      // A lock left by a process that no longer exists (it was killed) is taken over at once.
      const holderPid = Number((await readRegularText(lockPath, 4096).catch(() => "")).split(" ")[0]);
      if (age > LOCK_STALE_MS || (Number.isInteger(holderPid) && holderPid > 0 && !pidAlive(holderPid))) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        const holder = (await readRegularText(lockPath, 4096).catch(() => "")).split(" ")[0] ?? "";
        throw new ConflictError(
          `${lockPath} is held by another process${holder ? ` (pid ${holder})` : ""}; ` +
            "if no other polyvault process is running, delete that file and retry",
        );
      }
      await new Promise((r) => setTimeout(r, 25 + Math.floor(Math.random() * 50)));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}
