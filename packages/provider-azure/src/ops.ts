/**
 * What every operation shares: the client, the deadline, the retrying `call`, and the few reads that
 * reads and writes both need (current secret, deleted secret, head of a bundle).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KeyVaultSecret, SecretClient } from "@azure/keyvault-secrets";
import { IntegrityError, NotFoundError, type RetryPolicy, type SecretHead, UnavailableError } from "@polyvault/core";
import { type Deadline, call } from "./call.js";
import { isManaged, metadataOf } from "./tags.js";

export interface Op {
  readonly client: SecretClient;
  readonly deadline: Deadline;
  readonly policy: RetryPolicy;
  readonly provider: string;
  /** Human description of the operation, used in every error it raises. */
  readonly what: string;
  /** Interval between polls of Key Vault's long-running deletes and recoveries. */
  readonly pollMs: number;
  call<T>(fn: (client: SecretClient, signal: AbortSignal) => Promise<T>, options?: { retries?: number }): Promise<T>;
}

export function makeOp(client: SecretClient, deadline: Deadline, policy: RetryPolicy, provider: string, what: string, pollMs: number): Op {
  return {
    client,
    deadline,
    policy,
    provider,
    what,
    pollMs,
    call: (fn, options) =>
      call({ provider, what, deadline, policy, ...(options?.retries !== undefined ? { retries: options.retries } : {}) }, (signal) => fn(client, signal)),
  };
}

/** The current version of a secret, or undefined when it does not exist (or is soft-deleted). */
export async function fetchSecret(op: Op, native: string, version?: string): Promise<KeyVaultSecret | undefined> {
  try {
    return await op.call((c, abortSignal) => c.getSecret(native, { abortSignal, ...(version !== undefined ? { version } : {}) }));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** The soft-deleted secret under this name, or undefined when there is none. */
export async function fetchDeleted(op: Op, native: string): Promise<KeyVaultSecret | undefined> {
  try {
    return await op.call((c, abortSignal) => c.getDeletedSecret(native, { abortSignal }));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export function versionOf(op: Op, s: KeyVaultSecret): string {
  const v = s.properties.version;
  if (!v) throw new IntegrityError(`azure provider ${op.provider}: ${op.what}: Key Vault answered without a version id`, { provider: op.provider });
  return v;
}

export function headOf(op: Op, tenant: string, name: string, s: KeyVaultSecret): SecretHead {
  const managed = isManaged(s.properties.tags, tenant, name);
  return {
    name,
    version: versionOf(op, s),
    updatedAt: s.properties.updatedOn ?? s.properties.createdOn,
    managed,
    metadata: managed ? metadataOf(s.properties.tags) : {},
  };
}

/** Waits one poll interval before looking again at a secret in transition; Unavailable once time is up. */
export async function pause(op: Op, state: string): Promise<void> {
  const wait = Math.min(op.pollMs, op.deadline.remaining());
  if (wait <= 0 || op.deadline.signal.aborted)
    throw new UnavailableError(`azure provider ${op.provider}: ${op.what}: still ${state} after ${op.deadline.timeoutMs} ms`, { provider: op.provider });
  await sleep(wait, undefined, { signal: op.deadline.signal }).catch(() => undefined);
}
