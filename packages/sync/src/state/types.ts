/**
 * Sync state: what the last successful sync of each (route, target, tenant, secret) recorded, a journal
 * of actions (written before and after each one), run summaries, and route leases. Behind this
 * interface so that several gateways can share one PostgreSQL store; SQLite is the embedded default.
 */
export interface SyncRecord {
  readonly route: string;
  readonly target: string;
  readonly tenant: string;
  readonly name: string;
  /** The source's value digest (HMAC) and revision at the last sync. */
  readonly sourceDigest: string;
  readonly sourceRevision: number;
  /** The target's version id after the last sync: a different one later means it changed out of band. */
  readonly targetVersion: string;
  readonly syncedAt: Date;
  /** HMAC of every field above under the state key (signed.ts); absent on records written before it existed. */
  readonly mac?: string | undefined;
}

/** Who holds a lease, since when (undefined for a row this version did not write) and until when. */
export interface LeaseInfo {
  readonly holder: string;
  readonly since: Date | undefined;
  readonly expiresAt: Date;
}

/** The longest a lease may run without renewal: a row claiming longer was not written by Polyvault and is ignored. */
export const MAX_LEASE_MS = 15 * 60_000;

export type JournalAction = "create" | "update" | "delete";

export interface JournalEntry {
  readonly id: number;
  readonly runId: string;
  readonly route: string;
  readonly target: string;
  readonly tenant: string;
  readonly name: string;
  readonly action: JournalAction;
  readonly sourceDigest: string | undefined;
  readonly state: "begun" | "done" | "failed";
  readonly at: Date;
}

export interface RunSummary {
  readonly runId: string;
  readonly route: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly ok: boolean;
  readonly counts: Readonly<Record<string, number>>;
}

export interface StateStore {
  /** The store lives on this host only (SQLite): a lease holder can be checked by its pid. */
  readonly local?: boolean;
  records(route: string, target: string, tenant: string): Promise<Map<string, SyncRecord>>;
  upsert(record: SyncRecord): Promise<void>;
  remove(route: string, target: string, tenant: string, name: string): Promise<void>;
  /** Every route's record of one secret (or, without a name, of every secret) of a tenant in one target. */
  recordsOf(target: string, tenant: string, name?: string): Promise<SyncRecord[]>;
  /**
   * When that secret was last synced to that target by any route: how fresh a mirror's copy is (a failover
   * read's mirrorSyncedAt). Without a name, the newest sync of any of the tenant's secrets (the status page).
   */
  lastSynced(target: string, tenant: string, name?: string): Promise<Date | undefined>;
  /**
   * A value that changes after every commit that may have changed a record, made through this store or
   * any other connection or process (SQLite: its own record writes counted, others' seen through
   * `PRAGMA data_version`). Absent: the store cannot tell cheaply, and nothing may cache its records.
   */
  recordsVersion?(): string;
  /** Records of (route, target, tenant) whose MAC does not verify: ignored, kept as evidence (signed stores only). */
  unauthenticated?(route: string, target: string, tenant: string): Promise<number>;

  journalBegin(entry: Omit<JournalEntry, "id" | "state" | "at">): Promise<number>;
  journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void>;
  /** Entries begun and never ended (a crash hit between the two). */
  pendingJournal(route?: string): Promise<JournalEntry[]>;

  /** Names with journal entries of a route that finished `done` since `since` (the guard's window). */
  journalNames(route: string, target: string, tenant: string, actions: readonly JournalAction[], since: Date): Promise<Set<string>>;

  recordRun(run: RunSummary): Promise<void>;
  lastRuns(limit?: number): Promise<RunSummary[]>;
  lastRun(route: string): Promise<RunSummary | undefined>;

  /**
   * Take or renew the lease on `name` for `owner` until now + ttlMs (at most MAX_LEASE_MS); false if
   * someone else holds it. A row expiring later than MAX_LEASE_MS from now is treated as expired.
   */
  tryLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
  /** Who holds the lease now (undefined when free or expired). */
  leaseHolder(name: string): Promise<string | undefined>;
  /** The lease's holder, since and expiry (undefined when free or expired). */
  leaseInfo(name: string): Promise<LeaseInfo | undefined>;
  /** Take the lease from `from` (a holder known to be dead), atomically: false if the holder changed. */
  takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean>;

  close(): Promise<void>;
}
