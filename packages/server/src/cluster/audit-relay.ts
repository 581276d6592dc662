/**
 * One audit writer for the whole gateway (docs/audit.md, "Workers"). A worker's AuditLog hands each
 * record to the primary over the cluster's IPC channel; the primary's AuditLog (one group-commit writer,
 * the data directory's lock taken by it alone) writes it and answers with its sequence number once it is
 * durable. So the workers' records join the same batches, one `write` and one `fdatasync` for them all,
 * and the workers never compete for the cross-process lock (which a CLI beside `serve` still takes).
 *
 * Records travel in batches both ways: what a worker's requests append in one turn of its event loop goes
 * as one message, and what the primary's writer makes durable in one turn goes back as one message per
 * worker (one JSON encoding, one pipe write and one wake-up instead of one per record).
 *
 * Fail closed is unchanged: a worker's append resolves only when the primary says the record is durable,
 * and rejects with the primary's error (the operation is refused, its alert raised in the worker). When the
 * channel is gone (the primary died, or the worker left after its drain), the worker writes under the lock
 * itself, as any process of the data directory may.
 */
import {
  type AuditLog,
  type AuditOptions,
  type AuditRecordInput,
  IntegrityError,
  InvalidInputError,
  UnavailableError,
  isPolyvaultError,
} from "@polyvault/core";
import { type AuditItem, type AuditResult, type ToPrimary, type ToWorker, isOurs } from "./messages.js";

const revive = (e: NonNullable<AuditResult["error"]>): Error =>
  e.code === "INVALID_INPUT" ? new InvalidInputError(e.message) : e.code === "INTEGRITY" ? new IntegrityError(e.message) : new UnavailableError(e.message);

/** Worker side: `log.append` and `log.checkpoint` go to the primary's writer. */
export function relayAudit(log: AuditLog, dataDir: string, options: AuditOptions | undefined): void {
  const pending = new Map<number, { resolve: (seq: number) => void; reject: (err: unknown) => void }>();
  let next = 0;
  const local = { append: log.append.bind(log), checkpoint: log.checkpoint.bind(log) };
  let outbox: AuditItem[] = [];
  const flush = () => {
    const items = outbox;
    outbox = [];
    if (!process.connected || !process.send) return gone(items);
    process.send({ type: "pv:audit", items } satisfies ToPrimary, undefined, undefined, (err: Error | null) => {
      if (err) gone(items, `could not be reached (${err.message})`);
    });
  };
  const gone = (items: readonly AuditItem[], why = "went away before the record was sent") => {
    for (const { id } of items) {
      const p = pending.get(id);
      if (p && pending.delete(id)) p.reject(new UnavailableError(`audit log: the gateway's primary process ${why}`));
    }
  };
  const send = (record: AuditRecordInput | undefined): Promise<number> | undefined => {
    if (!process.connected || !process.send) return undefined;
    const id = next++;
    return new Promise<number>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      outbox.push({ id, record });
      if (outbox.length === 1) setImmediate(flush);
    });
  };
  log.append = (record) => send(record) ?? local.append(record);
  log.checkpoint = async () => {
    await (send(undefined) ?? local.checkpoint());
  };
  process.on("message", (m: unknown) => {
    if (!isOurs<ToWorker>(m) || m.type !== "pv:audit-res") return;
    for (const r of m.results) {
      const p = pending.get(r.id);
      pending.delete(r.id);
      if (r.error) p?.reject(revive(r.error));
      else p?.resolve(r.seq ?? 0);
    }
  });
  process.on("disconnect", () => {
    for (const p of pending.values()) p.reject(new UnavailableError("audit log: the gateway's primary process went away before the record was durable"));
    pending.clear();
  });
  process.send?.({ type: "pv:audit-open", dataDir, options: options ?? {} } satisfies ToPrimary);
}

/** Primary side: the one writer, opened on the first worker's request (the data directory and `audit` options it was configured with). */
export class AuditHub {
  #log: AuditLog | undefined;

  constructor(
    readonly open: (dataDir: string, options: AuditOptions) => AuditLog,
    readonly onSideError: (err: unknown) => void,
  ) {}

  /** Answers waiting for the end of this turn of the event loop, per worker. */
  readonly #outboxes = new Map<object, AuditResult[]>();

  /** `from` identifies the worker (its answers are sent together), `answer` sends it a message. */
  handle(m: ToPrimary, from: object, answer: (res: ToWorker) => void): boolean {
    if (m.type === "pv:audit-open") {
      this.#log ??= this.open(m.dataDir, m.options);
      return true;
    }
    if (m.type !== "pv:audit") return false;
    const log = this.#log;
    // The answers settled in one turn of the event loop (a durable batch releases all its waiters at once) go back together.
    const reply = (r: AuditResult) => {
      const out = this.#outboxes.get(from);
      if (out) return void out.push(r);
      this.#outboxes.set(from, [r]);
      setImmediate(() => {
        const results = this.#outboxes.get(from) ?? [];
        this.#outboxes.delete(from);
        answer({ type: "pv:audit-res", results });
      });
    };
    for (const { id, record } of m.items) {
      const done = log ? (record ? log.append(record) : log.checkpoint().then(() => 0)) : Promise.reject(new UnavailableError("audit log not opened"));
      done.then(
        (seq) => reply({ id, seq }),
        (err: unknown) => reply({ id, error: { code: isPolyvaultError(err) ? err.code : "UNAVAILABLE", message: (err as Error).message ?? String(err) } }),
      );
    }
    return true;
  }

  /** After every worker has exited: seal what the gateway wrote, prune when due. */
  async close(): Promise<void> {
    await this.#log?.close().catch((err: unknown) => this.onSideError(err));
  }
}
