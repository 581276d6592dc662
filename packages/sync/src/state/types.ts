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
}

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
  /** Most recent syncedAt of any record for (target provider, tenant): how fresh a mirror is. */
  lastSynced(target: string, tenant: string): Promise<Date | undefined>;

  journalBegin(entry: Omit<JournalEntry, "id" | "state" | "at">): Promise<number>;
  journalEnd(id: number, state: "done" | "failed", detail?: string): Promise<void>;
  /** Entries begun and never ended (a crash hit between the two). */
  pendingJournal(route?: string): Promise<JournalEntry[]>;

  recordRun(run: RunSummary): Promise<void>;
  lastRuns(limit?: number): Promise<RunSummary[]>;
  lastRun(route: string): Promise<RunSummary | undefined>;

  /** Take or renew the lease on `name` for `owner` until now + ttlMs; false if someone else holds it. */
  tryLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
  /** Who holds the lease now (undefined when free or expired). */
  leaseHolder(name: string): Promise<string | undefined>;
  /** Take the lease from `from` (a holder known to be dead), atomically: false if the holder changed. */
  takeOverLease(name: string, from: string, owner: string, ttlMs: number): Promise<boolean>;

  close(): Promise<void>;
}
