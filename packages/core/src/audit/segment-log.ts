/**
 * A worker's segment (segments.ts), wired to the main chain: each checkpoint of the segment, once durable,
 * is stated in the main chain (`audit.segment`, `segment=w1 count=… head=…`) and the main chain sealed with
 * it (so its head and witnesses hold the statement), one statement after the other. Opening writes `audit.segment.open` in the segment, seals it, and waits until the main chain holds
 * that statement: a worker whose segment the main chain does not name never serves (fail closed). After
 * that a statement that cannot be written is reported (onSideError) and the main chain lags behind the
 * segment, which verify allows: the segment's own signed head still vouches for what it holds.
 */
import { AuditLog, type AuditLogOptions } from "./audit-log.js";
import { SEGMENT_ANCHOR_ACTION, SEGMENT_OPEN_ACTION, anchorDetail, checkSegmentName } from "./segments.js";
import type { AuditCheckpoint } from "./types.js";

export const SEGMENT_ACTOR = "polyvault";

export class SegmentLog {
  readonly log: AuditLog;
  #statements: Promise<void> = Promise.resolve();
  #failed: unknown;

  readonly #onSideError: AuditLogOptions["onSideError"];
  /** The main log's own append and checkpoint, taken before a caller routes them to this segment. */
  readonly #mainAppend: AuditLog["append"];
  readonly #mainCheckpoint: AuditLog["checkpoint"];

  private constructor(
    readonly main: AuditLog,
    readonly name: string,
    options: AuditLogOptions,
  ) {
    this.#onSideError = options.onSideError;
    this.#mainAppend = main.append.bind(main);
    this.#mainCheckpoint = main.checkpoint.bind(main);
    this.log = new AuditLog(main.dataDir, { ...options, segment: checkSegmentName(name), onCheckpoint: (cp) => this.#state(cp) });
  }

  /** Opens (or continues) segment `name` of the main log's directory; `detail` goes in its open record (value-free: `worker=1 pid=…`). */
  static async open(main: AuditLog, name: string, options: AuditLogOptions, detail: string): Promise<SegmentLog> {
    const s = new SegmentLog(main, name, options);
    try {
      await s.log.append({ actor: SEGMENT_ACTOR, action: SEGMENT_OPEN_ACTION, outcome: "ok", detail });
      await s.log.checkpoint();
      await s.settled();
    } catch (err) {
      await s.log.close().catch(() => undefined);
      throw err;
    }
    return s;
  }

  /** Resolves once every statement so far is in the main chain; rejects with the first that failed since the last call. */
  async settled(): Promise<void> {
    await this.#statements;
    const err = this.#failed;
    this.#failed = undefined;
    if (err !== undefined) throw err;
  }

  /** Seals the segment, states its last checkpoint in the main chain (then the main log is the caller's to close). */
  async close(): Promise<void> {
    await this.log.close();
    await this.settled();
  }

  #state(cp: AuditCheckpoint): void {
    const detail = anchorDetail({ segment: this.name, count: cp.count, head: cp.head });
    // The statement and a checkpoint of the main chain in one batch: signed, in audit.head and in the
    // witnesses at once, so a rollback of the segment is caught from its last checkpoint on, not only once
    // the main chain's next checkpoint comes (up to checkpointSeconds later).
    this.#statements = this.#statements.then(() =>
      Promise.all([this.#mainAppend({ actor: SEGMENT_ACTOR, action: SEGMENT_ANCHOR_ACTION, outcome: "ok", detail }), this.#mainCheckpoint()]).then(
        () => undefined,
        (err: unknown) => {
          this.#failed ??= err;
          this.#onSideError?.(err, "the main audit chain (a statement of this segment's checkpoint)");
        },
      ),
    );
  }
}
