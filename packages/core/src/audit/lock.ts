/**
 * The lock that serialises appends between processes (and between AuditLog objects in one process):
 * proper-lockfile's mkdir lock on <dataDir>/audit.lock, taken once per batch: asynchronously by the batch
 * writer (the mkdir/stat/rmdir run on libuv's thread pool), synchronously by the exit hook's seal. A lock
 * left by a crashed process is taken over after 10 s (stale).
 */
import lockfile from "proper-lockfile";
import { UnavailableError } from "../errors.js";
import { isErrno } from "./file-io.js";

const STALE_MS = 10_000;

const LOCK_OPTIONS = {
  realpath: false,
  stale: STALE_MS,
  // The default throws from a timer (crashing the process); a compromised lock only means another
  // process took over a lock we held for over 10 s, and the chain check on the next append catches any harm.
  onCompromised: () => undefined,
} as const;

function tryLock(target: string, lockPath: string): (() => void) | undefined {
  try {
    return lockfile.lockSync(target, { ...LOCK_OPTIONS, lockfilePath: lockPath });
  } catch (err) {
    if (isErrno(err, "ELOCKED")) return undefined;
    throw err;
  }
}

async function tryLockAsync(target: string, lockPath: string): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockfile.lock(target, { ...LOCK_OPTIONS, lockfilePath: lockPath });
  } catch (err) {
    if (isErrno(err, "ELOCKED")) return undefined;
    throw err;
  }
}

function busy(lockPath: string, waitMs: number): UnavailableError {
  return new UnavailableError(`audit log lock ${lockPath} is held by another process for over ${Math.round(waitMs / 1000)} s`);
}

/** Runs `fn` holding the lock, waiting (asynchronously) up to `waitMs` for it. */
export async function withLock<T>(target: string, lockPath: string, fn: () => T | Promise<T>, waitMs = 15_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  let delay = 1;
  for (;;) {
    const release = await tryLockAsync(target, lockPath);
    if (release) {
      try {
        return await fn();
      } finally {
        await release().catch(() => undefined);
      }
    }
    if (Date.now() > deadline) throw busy(lockPath, waitMs);
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** The same, blocking the thread while it waits (only for the exit hook, where nothing async runs). */
export function withLockSync<T>(target: string, lockPath: string, fn: () => T, waitMs = 3_000): T {
  const deadline = Date.now() + waitMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const release = tryLock(target, lockPath);
    if (release) {
      try {
        return fn();
      } finally {
        release();
      }
    }
    if (Date.now() > deadline) throw busy(lockPath, waitMs);
    Atomics.wait(sleeper, 0, 0, 5);
  }
}
