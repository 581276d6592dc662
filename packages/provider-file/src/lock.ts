/**
 * A lock between processes (and between calls in one process) per secret, with proper-lockfile:
 * mkdir-based, stale locks of crashed processes are taken over after `stale` ms.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { UnavailableError } from "@polyvault/core";
import { ensureDir } from "./fs-atomic.js";

export async function withSecretLock<T>(locksDir: string, key: string, fn: () => Promise<T>): Promise<T> {
  await ensureDir(locksDir);
  const target = join(locksDir, createHash("sha256").update(key).digest("hex"));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, factor: 1.3, minTimeout: 2, maxTimeout: 100, randomize: true },
    });
  } catch (cause) {
    throw new UnavailableError("file provider: could not take the secret's lock (another process holds it)", { cause });
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
