/**
 * Sync records authenticated like keys: each record carries an HMAC-SHA256 of all its fields under the
 * state key, HKDF-SHA256(ikm = master key, salt = "polyvault/state/v1", info = "polyvault/v1|purpose=state-mac").
 * Someone who can write the state database (a shared PostgreSQL, the SQLite file) but holds no master key
 * cannot forge a record: a record whose MAC does not verify is ignored — never used to plan a delete, to
 * vouch for a mirror, or to count secrets — and kept (not removed) as evidence, counted by `sync status`.
 * Records written before MACs existed have none: the planner re-verifies each against the providers
 * (reads it back) and records it again, signed.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { hkdfSha256 } from "@polyvault/core";
import { RecordCache } from "./record-cache.js";
import type { JournalAction, JournalEntry, LeaseInfo, RunSummary, StateStore, SyncRecord } from "./types.js";

const SALT = Buffer.from("polyvault/state/v1");
const INFO = Buffer.from("polyvault/v1|purpose=state-mac");

/** The state key from the master key (the caller wipes the master key; this copy lives with the store). */
export const deriveStateKey = (masterKey: Uint8Array): Buffer => hkdfSha256(masterKey, SALT, INFO, 32);

export function recordMac(key: Buffer, r: SyncRecord): string {
  // A JSON array of strings and integers has exactly one serialization: no field can bleed into another.
  const body = JSON.stringify([
    "pv-state-record/v1",
    r.route,
    r.target,
    r.tenant,
    r.name,
    r.sourceDigest,
    r.sourceRevision,
    r.targetVersion,
    r.syncedAt.getTime(),
  ]);
  return createHmac("sha256", key).update(body).digest("base64url");
}

export function verifyRecord(key: Buffer, r: SyncRecord): boolean {
  if (!r.mac) return false;
  const want = Buffer.from(recordMac(key, r));
  const got = Buffer.from(r.mac);
  return want.length === got.length && timingSafeEqual(want, got);
}

export class SignedStateStore implements StateStore {
  readonly local: boolean;
  readonly #key: Buffer;
  /** One secret's verified records, for failover reads (record-cache.ts: exact, or not used). */
  readonly #cache: RecordCache;

  constructor(
    readonly inner: StateStore,
    key: Uint8Array,
  ) {
    this.local = inner.local === true;
    this.#key = Buffer.from(key);
    this.#cache = new RecordCache(inner.recordsVersion ? () => (inner.recordsVersion as () => string).call(inner) : undefined);
  }

  async records(route: string, target: string, tenant: string): Promise<Map<string, SyncRecord>> {
    // The inner map itself, less what does not verify: no second map of a large tenant's records.
    const all = await this.inner.records(route, target, tenant);
    for (const [name, r] of all) if (!verifyRecord(this.#key, r)) all.delete(name);
    return all;
  }

  async unauthenticated(route: string, target: string, tenant: string): Promise<number> {
    let n = 0;
    for (const r of (await this.inner.records(route, target, tenant)).values()) if (!verifyRecord(this.#key, r)) n++;
    return n;
  }

  upsert(record: SyncRecord): Promise<void> {
    // Millisecond precision: both stores keep at least that, so the MAC verifies after a round trip.
    const r = { ...record, syncedAt: new Date(record.syncedAt.getTime()) };
    return this.inner.upsert({ ...r, mac: recordMac(this.#key, r) });
  }

  remove(route: string, target: string, tenant: string, name: string): Promise<void> {
    return this.inner.remove(route, target, tenant, name);
  }

  async recordsOf(target: string, tenant: string, name?: string): Promise<SyncRecord[]> {
    const verified = async () => (await this.inner.recordsOf(target, tenant, name)).filter((r) => verifyRecord(this.#key, r));
    return name === undefined ? verified() : this.#cache.get(target, tenant, name, verified);
  }

  async lastSynced(target: string, tenant: string, name?: string): Promise<Date | undefined> {
    const times = (await this.recordsOf(target, tenant, name)).map((r) => r.syncedAt.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }

  journalBegin(entry: Omit<JournalEntry, "id" | "state" | "at">): Promise<number> {
    return this.inner.journalBegin(entry);
  }
  journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void> {
    return this.inner.journalEnd(id, state, detail);
  }
  pendingJournal(route?: string): Promise<JournalEntry[]> {
    return this.inner.pendingJournal(route);
  }
  journalNames(route: string, target: string, tenant: string, actions: readonly JournalAction[], since: Date): Promise<Set<string>> {
    return this.inner.journalNames(route, target, tenant, actions, since);
  }
  recordRun(run: RunSummary): Promise<void> {
    return this.inner.recordRun(run);
  }
  lastRuns(limit?: number): Promise<RunSummary[]> {
    return this.inner.lastRuns(limit);
  }
  lastRun(route: string): Promise<RunSummary | undefined> {
    return this.inner.lastRun(route);
  }
  tryLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.tryLease(name, owner, ttlMs);
  }
  releaseLease(name: string, owner: string): Promise<void> {
    return this.inner.releaseLease(name, owner);
  }
  leaseHolder(name: string): Promise<string | undefined> {
    return this.inner.leaseHolder(name);
  }
  leaseInfo(name: string): Promise<LeaseInfo | undefined> {
    return this.inner.leaseInfo(name);
  }
  takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.takeOverLease(name, from, owner, ttlMs);
  }
  async close(): Promise<void> {
    this.#cache.clear();
    this.#key.fill(0);
    await this.inner.close();
  }
}
