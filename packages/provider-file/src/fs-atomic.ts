/**
 * Durable file operations: a write lands whole or not at all (temp file, fsync, rename, fsync of the
 * directory), with mode 0600 for files and 0700 for directories.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function ensureDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // Make each newly created directory entry durable in its parent.
  if (created !== undefined) {
    let d = dir;
    while (d.length >= created.length) {
      await fsyncDir(dirname(d));
      d = dirname(d);
    }
  }
}

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.tmp-${randomBytes(8).toString("hex")}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dir);
}

/** Removes a directory tree atomically for readers: rename into the trash, then delete. */
export async function removeTreeAtomic(path: string, trashDir: string): Promise<void> {
  await ensureDir(trashDir);
  const target = join(trashDir, randomBytes(8).toString("hex"));
  await rename(path, target);
  await fsyncDir(dirname(path));
  await rm(target, { recursive: true, force: true });
}
