/**
 * Test support shared by the rotation, compliance and backup tests: the testkit's in-memory Provider
 * (versions, check-and-set, soft delete, ownership; a settable clock and failure injection), and a
 * SecretManager over it with a real keyring in a temporary data directory.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type MemoryProvider, memoryProvider as createMemoryProvider } from "../../../provider-testkit/src/memory.js";
import { ConflictError, Keyring, NotFoundError, SecretManager, type TenantId, TooLargeError, UnavailableError, parseTenantId } from "../../src/index.js";

export type { MemoryProvider } from "../../../provider-testkit/src/memory.js";

/**
 * The testkit's in-memory provider (packages/provider-testkit/src/memory.ts, conformance-tested there),
 * throwing this source tree's error classes: core's tests run core's source, whose `instanceof` checks
 * would not recognise the built package's classes.
 */
export const memoryProvider = (name = "mem", type = "file"): MemoryProvider =>
  createMemoryProvider({ name, type, errors: { NotFoundError, ConflictError, UnavailableError, TooLargeError } });

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "pv-core-"));
  dirs.push(d);
  return d;
}

export interface Setup {
  dataDir: string;
  masterKey: Buffer;
  keyring: Keyring;
  provider: MemoryProvider;
  manager: SecretManager;
  tenant: TenantId;
}

export async function setup(tenant = "acme", options: { dataDir?: string; masterKey?: Buffer; provider?: MemoryProvider } = {}): Promise<Setup> {
  const dataDir = options.dataDir ?? (await tempDir());
  const masterKey = options.masterKey ?? randomBytes(32);
  const keyring = await Keyring.open(dataDir, masterKey);
  const provider = options.provider ?? memoryProvider();
  const t = parseTenantId(tenant);
  return { dataDir, masterKey, keyring, provider, tenant: t, manager: new SecretManager({ tenant: t, keyring, primary: provider }) };
}

export const DAY = 86_400_000;

/** Runs fn and returns what it threw (fails when it does not throw). */
export async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error, none was thrown");
}
