/**
 * The audit log's shapes (docs/audit.md). One NDJSON line per entry, each the RFC 8785 canonical JSON of
 * the entry; entries are hash-chained (`prev` = SHA-256 of the previous entry's canonical JSON) and
 * checkpoints sign (count, head) with Ed25519. Records never hold a value: only who, what, where, outcome.
 */

/** "ok", "denied", "started" (write-ahead record of a change), or the error code that ended it. */
export type AuditOutcome = "ok" | "denied" | "started" | (string & {});

/** What a caller appends; the log adds v, type, seq, time and prev. */
export interface AuditRecordInput {
  readonly actor: string;
  /** read, write, rotate, delete, list, versions, rewrap, authenticate, lockout, audit.verify, sync.apply, … */
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly tenant?: string | undefined;
  /** The secret name (never its value). */
  readonly name?: string | undefined;
  readonly provider?: string | undefined;
  /** Ties the write-ahead and outcome records of one operation together. */
  readonly requestId?: string | undefined;
  /** A short, value-free reason (why a request was denied). */
  readonly reason?: string | undefined;
  /** What an operation did, value-free (counts, key versions: `rewrapped=3 secrets=2`), on its outcome record. */
  readonly detail?: string | undefined;
}

export interface AuditRecord extends AuditRecordInput {
  readonly v: 1;
  readonly type: "record";
  readonly seq: number;
  readonly time: string;
  readonly prev: string;
  /** HMAC under a key derived from the signing key: a record nobody holding the key wrote fails verify. */
  readonly mac: string;
  /** Not in the stored line: the segment whose chain holds it, when a reader merged the chains (segments.ts). */
  readonly segment?: string | undefined;
}

/** Signed statement "the chain's first `count` entries end with `head`", inside the chain. */
export interface AuditCheckpoint {
  /** 2: the signature covers `time` too; 1: written before it did (count and head only). */
  readonly v: 1 | 2;
  readonly type: "checkpoint";
  readonly seq: number;
  readonly time: string;
  readonly prev: string;
  readonly count: number;
  readonly head: string;
  readonly sig: string;
}

/** First line after retention pruning: the same signed statement, standing in for the pruned entries. */
export interface AuditAnchor {
  readonly v: 1 | 2;
  readonly type: "anchor";
  readonly time: string;
  readonly count: number;
  readonly head: string;
  readonly sig: string;
}

export type AuditEntry = AuditRecord | AuditCheckpoint | AuditAnchor;

export interface AuditOptions {
  /** Sign a checkpoint after this many entries (default 1000). */
  readonly checkpointEvery?: number | undefined;
  /** …or when the oldest unsigned entry is this old (default 60 s); and always at close. */
  readonly checkpointSeconds?: number | undefined;
  /** Records older than this are pruned (default 365 days), behind a signed anchor. */
  readonly retentionDays?: number | undefined;
  /** "always" (default): fsync every batch; "checkpoint": fsync only with checkpoints (see docs/audit.md). */
  readonly fsync?: "always" | "checkpoint" | undefined;
  /** A witness outside the data directory: a file the log's attacker cannot write (docs/audit.md, "Witnesses"). */
  readonly witness?: { readonly file?: string | undefined } | undefined;
}

export const AUDIT_DEFAULTS = { checkpointEvery: 1000, checkpointSeconds: 60, retentionDays: 365, fsync: "always" } as const;

/** The `prev` of the very first entry. */
export const GENESIS = "0".repeat(64);

export const AUDIT_FILES = { log: "audit.log", head: "audit.head", lock: "audit.lock", key: "keys/audit-signing.key" } as const;
