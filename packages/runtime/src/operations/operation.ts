/**
 * The operations layer (docs/architecture.md, "Operations"). Everything that is not a single-secret
 * SecretManager call — keys, backup, restore, sync, rotation, compliance, migrate, adopt — runs through
 * runOperation(), one mechanism for the CLI, the gateway and the library alike:
 *
 *   authorize → record "started" → run → record the outcome
 *
 * - authorize: the caller's principal needs the operation's permission (on its tenant, or on "*");
 *   a denial is counted, audited under the operation's action, alerted, and thrown (exit 4 / HTTP 403).
 * - record "started": a write-ahead record; if it cannot be written the operation is refused (the audit
 *   error: exit 5) and its body never runs, so nothing is read, exported or changed (fail closed).
 * - record the outcome: "ok" (or the error code it ended with) and a value-free `detail` (counts, key
 *   versions). For a change, an outcome that cannot be recorded is an InternalError saying the change
 *   was applied; for a read, the result is withheld.
 */
import { randomUUID } from "node:crypto";
import { InternalError, type Permission, type Security, clipAuditText, errorOutcome } from "@polyvault/core";

/** Who is asking: the audit log and access control of a data directory, and the principal to check. */
export interface Caller {
  readonly security: Security;
  /** The principal whose grants are checked; undefined when access control is off. */
  readonly principal: string | undefined;
  /** Recorded as the actor of every record (the principal, or the local operator's name). */
  readonly actor: string;
  /** Ties the records of one request together (the gateway's request id); a new one otherwise. */
  readonly requestId?: string | undefined;
}

export interface OperationSpec {
  /** The audit action, `<area>.<verb>`: keys.rotate, backup.create, sync.apply, … */
  readonly action: string;
  readonly permission: Permission;
  /** The tenant it acts on; undefined: no tenant, or every tenant (the grant must be on "*"). */
  readonly tenant?: string | undefined;
  /** The secret it acts on, for operations on one secret (rotation confirm, rollback). */
  readonly name?: string | undefined;
  /** Whether it changes anything (keys, secrets, files, configuration), else it only reads. */
  readonly changes: boolean;
}

/** What the outcome record says about a result: a value-free detail, and an outcome other than "ok". */
export interface OutcomeSummary {
  readonly detail?: string | undefined;
  readonly outcome?: string | undefined;
}

export async function runOperation<T>(
  caller: Caller,
  spec: OperationSpec,
  body: () => Promise<T>,
  summarize: (result: T) => OutcomeSummary = () => ({}),
): Promise<T> {
  const requestId = caller.requestId ?? randomUUID();
  if (caller.principal !== undefined) {
    const guard = caller.security.guard(caller.principal);
    if (guard) await guard.check(spec.tenant ?? "*", spec.permission, spec.name, requestId, spec.action);
  }
  const base = { actor: caller.actor, action: spec.action, tenant: spec.tenant, name: spec.name, requestId };
  await caller.security.record({ ...base, outcome: "started" });
  let result: T;
  try {
    result = await body();
  } catch (err) {
    // The operation failed anyway: record why; if even that fails, the original error is the one to report.
    await caller.security.record({ ...base, outcome: errorOutcome(err) }).catch(() => undefined);
    throw err;
  }
  const summary = summarize(result);
  try {
    await caller.security.record({ ...base, outcome: summary.outcome ?? "ok", detail: clip(summary.detail) });
  } catch (err) {
    if (!spec.changes) throw err;
    // Too late to refuse: the change is made. Say so plainly (not retryable: a retry would repeat it).
    const where = spec.tenant === undefined ? "" : ` in tenant ${spec.tenant}`;
    throw new InternalError(
      `${spec.action}${where} was applied, but its outcome could not be written to the audit log (which holds its write-ahead record): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return result;
}

/** `k=v` pairs, for a record's detail (numbers and names only: never a value). */
export function detailOf(fields: Readonly<Record<string, string | number | boolean | undefined>>): string | undefined {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(" ") : undefined;
}

function clip(detail: string | undefined): string | undefined {
  if (detail === undefined || detail.length === 0) return undefined;
  return clipAuditText(detail);
}

/** A progress display for long work (the CLI's bar on a terminal); operations call it, never print. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export interface OperationOptions {
  /** Who asks (default: the caller the runtime was opened for). */
  readonly caller?: Caller | undefined;
  /** Opens a progress display for one piece of long work (label: `rewrap acme`, `backup acme`, …). */
  readonly progress?: ((label: string) => Progress) | undefined;
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

/** Runs `fn` with a progress display that is stopped however it ends. */
export async function withProgress<T>(options: OperationOptions, label: string, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = options.progress?.(label) ?? NO_PROGRESS;
  try {
    return await fn(p);
  } finally {
    p.stop();
  }
}
