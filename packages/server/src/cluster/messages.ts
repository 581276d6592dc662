/**
 * What the primary of `polyvault serve --workers N` and its workers say to each other over the cluster's
 * IPC channel (node:cluster), and the environment a worker is started with. None of it carries a secret
 * value: ready addresses, metrics text, sync run records (route, counts), drain orders, and audit records
 * (which name secrets, never hold values) on their way to the one writer.
 */
import type { AuditOptions, AuditRecordInput } from "@polyvault/core";
import type { RunRecord } from "../activity.js";

/** The worker's number, 1…N (a restarted worker keeps its number); worker 1 is the leader. */
export const WORKER_ENV = "POLYVAULT_SERVE_WORKER";
/** The ports the primary resolved (`--port 0` is resolved once, so every worker and every restart shares it). */
export const PORT_ENV = "POLYVAULT_SERVE_PORT";
export const VAULT_PORT_ENV = "POLYVAULT_SERVE_VAULT_PORT";
/** Set for workers 2…N at start: load the code, then wait for `pv:go` (worker 1 listening) before opening the runtime. */
export const HOLD_ENV = "POLYVAULT_SERVE_HOLD";

export type ToPrimary =
  | { readonly type: "pv:ready"; readonly url: string; readonly vaultUrl?: string | undefined; readonly tokenFile?: string | undefined }
  | { readonly type: "pv:metrics-req"; readonly id: number }
  /** A held worker has loaded its code: it opens the runtime on `pv:go`. */
  | { readonly type: "pv:turn" }
  | { readonly type: "pv:run"; readonly rec: RunRecord }
  | { readonly type: "pv:audit-open"; readonly dataDir: string; readonly options: AuditOptions }
  /** The records (and checkpoint requests: `record` undefined) a worker's requests made in one turn of its event loop. */
  | { readonly type: "pv:audit"; readonly items: readonly AuditItem[] }
  | RateCounts;

/** What a worker's rate limit counted since its last message (key → requests), for the other workers (rate-share.ts). */
export interface RateCounts {
  readonly type: "pv:rl";
  readonly window: number;
  readonly counts: readonly (readonly [string, number])[];
}

export interface AuditItem {
  readonly id: number;
  readonly record?: AuditRecordInput | undefined;
}

export interface AuditResult {
  readonly id: number;
  readonly seq?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export type ToWorker =
  | { readonly type: "pv:metrics-res"; readonly id: number; readonly text?: string; readonly contentType?: string; readonly error?: string }
  | { readonly type: "pv:run"; readonly rec: RunRecord }
  | { readonly type: "pv:drain" }
  | { readonly type: "pv:go" }
  /** The answers to one worker's items that the primary's writer settled in one turn of its event loop. */
  | { readonly type: "pv:audit-res"; readonly results: readonly AuditResult[] }
  /** Another worker's rate-limit counts, relayed as sent. */
  | RateCounts;

const TYPES = new Set([
  "pv:ready",
  "pv:turn",
  "pv:metrics-req",
  "pv:metrics-res",
  "pv:run",
  "pv:drain",
  "pv:go",
  "pv:audit-open",
  "pv:audit",
  "pv:audit-res",
  "pv:rl",
]);

/** One of ours (prom-client and node:cluster send their own messages on the same channel). */
export function isOurs<T extends ToPrimary | ToWorker>(m: unknown): m is T {
  return typeof m === "object" && m !== null && TYPES.has((m as { type?: unknown }).type as string);
}
