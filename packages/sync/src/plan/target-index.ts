/**
 * One target of a tenant as a plan holds it while the source streams by: per name, one small entry with
 * what the diff reads of the target's head (version, managed, digest) and of the route's record of it
 * (source digest and revision, target version) — 100,000 secrets in tens of megabytes. Equal strings are
 * held once (an in-sync secret's record digest is its head's digest, its record version the head's).
 */
import { META, type Provider, type SecretHead, type TenantId } from "@polyvault/core";
import type { SyncRecord } from "../state/types.js";
import { streamHeads } from "./heads.js";

export interface TargetEntry {
  /** The key's own string (actions name the secret with it). */
  readonly name: string;
  /** The target's head; version undefined: not in the target. */
  version: string | undefined;
  managed: boolean;
  digest: string | undefined;
  /** The record; digest undefined: no record. */
  recordDigest: string | undefined;
  recordRevision: number;
  recordVersion: string | undefined;
}

export interface TargetIndex {
  readonly entries: Map<string, TargetEntry>;
  /** Target secrets whose current version an authenticated record vouches for (the guard's count). */
  readonly live: number;
}

const EPOCH = new Date(0);

const entry = (name: string): TargetEntry => ({
  name,
  version: undefined,
  managed: false,
  digest: undefined,
  recordDigest: undefined,
  recordRevision: 0,
  recordVersion: undefined,
});

/**
 * The target's heads, then its records (each removed from `records` as it is folded in). A one-name plan
 * (push on write) has only those names' heads: its live count is the number of authenticated records
 * (a forged record never counts; listing the whole target on every push would cost a read per secret on Vault).
 */
export async function indexTarget(
  provider: Provider,
  tenant: TenantId,
  only: ReadonlySet<string> | undefined,
  records: Map<string, SyncRecord>,
): Promise<TargetIndex> {
  const entries = new Map<string, TargetEntry>();
  for await (const h of streamHeads(provider, tenant, only)) {
    const e = entries.get(h.name) ?? entry(h.name);
    e.version = h.version;
    e.managed = h.managed;
    e.digest = h.metadata[META.digest];
    entries.set(h.name, e);
  }
  let live = only ? records.size : 0;
  for (const [name, r] of records) {
    records.delete(name);
    const known = entries.get(name);
    if (!known && only && !only.has(name)) continue;
    const e = known ?? entry(name);
    if (!only && e.version !== undefined && e.version === r.targetVersion) live++;
    e.recordDigest = r.sourceDigest === e.digest ? e.digest : r.sourceDigest;
    e.recordRevision = r.sourceRevision;
    e.recordVersion = r.targetVersion === e.version ? e.version : r.targetVersion;
    if (!known) entries.set(name, e);
  }
  return { entries, live };
}

/** The entry as the diff's inputs (short-lived objects). */
export function diffInputs(
  e: TargetEntry | undefined,
  at: { route: string; target: string; tenant: string },
): { target: SecretHead | undefined; record: SyncRecord | undefined } {
  if (!e) return { target: undefined, record: undefined };
  const target =
    e.version === undefined
      ? undefined
      : { name: e.name, version: e.version, updatedAt: undefined, managed: e.managed, metadata: e.digest === undefined ? {} : { [META.digest]: e.digest } };
  const record =
    e.recordDigest === undefined
      ? undefined
      : { ...at, name: e.name, sourceDigest: e.recordDigest, sourceRevision: e.recordRevision, targetVersion: e.recordVersion as string, syncedAt: EPOCH };
  return { target, record };
}
