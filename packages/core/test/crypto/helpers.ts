/** Shared test helpers: temporary data directories and error assertions. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";

const dirs: string[] = [];

/** A fresh, empty data directory, removed after the test. */
export async function tempDataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "polyvault-crypto-"));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export const randomKey = (): Buffer => randomBytes(32);

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error("expected an error, none was thrown");
}

export function caughtSync(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error("expected an error, none was thrown");
}
