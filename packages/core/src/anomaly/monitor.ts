/**
 * The access-anomaly monitor of one data directory: the detector, its baseline file, and what a finding
 * sets off — an `access.anomaly` webhook alert, an `anomaly.<rule>` audit record, and a count for the
 * gateway's metric. observe() never blocks or fails the access it is told about: alerts, records and the
 * baseline's write run in the background (group-committed: observations that arrive while a write is in
 * flight share the next one), and close() waits for them.
 *
 * A baseline that is missing starts a learning period; one that is refused (edited, damaged, written
 * without the key) is replaced by an empty baseline *without* a learning period, so tampering cannot buy
 * quiet; both are audited and alerted as `anomaly.baseline-reset` (docs/anomaly-alerts.md).
 */
import type { Alerts } from "../alerts/alerts.js";
import type { AuditRecordInput } from "../audit/types.js";
import { type BaselineState, emptyState, mergeState } from "./baseline.js";
import { type AccessObservation, AnomalyDetector, type AnomalyFinding } from "./detector.js";
import { type AnomalyOptions, type AnomalyRule, resolveAnomalyOptions } from "./options.js";
import { BaselineFile, type LoadedBaseline, baselineKeys } from "./store.js";

export interface AnomalyMonitorOptions {
  readonly dataDir: string;
  readonly options: AnomalyOptions;
  readonly alerts: Alerts;
  /** Appends an audit record (alerting when it cannot); rejects like AuditLog.append. */
  readonly record: (r: AuditRecordInput) => Promise<void>;
  readonly now?: (() => Date) | undefined;
  /** How long an observation waits for the baseline write it joins (default 1000 ms). */
  readonly flushDelayMs?: number | undefined;
}

export class AnomalyMonitor {
  readonly #o: AnomalyMonitorOptions;
  readonly #now: () => number;
  #detector: AnomalyDetector | undefined;
  #file: BaselineFile | undefined;
  /** The file existed when loaded, or this process wrote it: from then on its absence is a deletion. */
  #known = false;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #dirty = false;
  readonly #pending = new Set<Promise<unknown>>();
  /** The last error writing the baseline (it stays in memory and is written on the next try). */
  lastError: Error | undefined;

  constructor(o: AnomalyMonitorOptions) {
    this.#o = o;
    const now = o.now;
    this.#now = now ? () => now().getTime() : Date.now;
  }

  /** Counts an access decision; dispatches what it trips. Never throws. */
  observe(obs: AccessObservation): AnomalyFinding[] {
    let findings: AnomalyFinding[];
    try {
      findings = this.detector.observe(obs);
    } catch (err) {
      this.lastError = err as Error;
      return [];
    }
    for (const f of findings) this.#dispatch(f);
    this.#dirty = true;
    this.#schedule();
    return findings;
  }

  get detector(): AnomalyDetector {
    if (this.#detector) return this.#detector;
    const keys = baselineKeys(this.#o.dataDir);
    this.#file = new BaselineFile(this.#o.dataDir, keys);
    const options = resolveAnomalyOptions(this.#o.options);
    const loaded = this.#file.read();
    // Kept for whoever investigates (one copy, replaced by the next refusal): the next write replaces the file.
    if (loaded.status === "rejected") this.#file.keepRejected();
    let state: BaselineState;
    this.#known = loaded.status === "ok";
    if (loaded.status === "ok") state = loaded.state;
    else state = this.#reset(loaded, emptyState(this.#now() - (loaded.status === "rejected" ? options.learningMs : 0)), options.learningMs);
    this.#detector = new AnomalyDetector(options, keys.names, this.#now, state);
    return this.#detector;
  }

  /** Alerts raised by this process, per rule and principal. */
  counts(): ReadonlyMap<AnomalyRule, ReadonlyMap<string, number>> {
    return this.#detector?.counts() ?? new Map();
  }

  /** Writes the baseline now (merged with what other processes wrote) and waits for pending alerts. */
  async idle(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#flushing || this.#dirty) await (this.#flushing ?? this.#flush());
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  close(): Promise<void> {
    return this.idle();
  }

  #schedule(): void {
    if (this.#timer || this.#flushing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, this.#o.flushDelayMs ?? 1000);
    this.#timer.unref();
  }

  #flush(): Promise<void> {
    const detector = this.#detector;
    const file = this.#file;
    if (!detector || !file) {
      this.#dirty = false;
      return Promise.resolve();
    }
    this.#dirty = false;
    this.#flushing = file
      .update((onDisk) => {
        detector.prune();
        let merged = detector.state;
        if (onDisk.status === "ok") merged = mergeState(onDisk.state, detector.state);
        else if (this.#known) this.#reset(onDisk, merged, 0); // until the first write, the load already said so
        detector.state = merged;
        return merged;
      })
      .then(
        () => {
          this.#known = true;
          this.lastError = undefined;
        },
        (err: unknown) => {
          this.lastError = err as Error;
          this.#dirty = true;
        },
      )
      .finally(() => {
        this.#flushing = undefined;
        if (this.#dirty) this.#schedule();
      });
    return this.#flushing;
  }

  /** Audits and alerts a baseline that was missing or refused; returns the state to go on with. */
  #reset(loaded: Exclude<LoadedBaseline, { status: "ok" }>, state: BaselineState, learningMs: number): BaselineState {
    const why =
      loaded.status === "missing"
        ? this.#known
          ? "the baseline file was deleted while in use"
          : "no baseline file (first start, or it was deleted)"
        : `the baseline file ${loaded.reason}`;
    const learningUntil = new Date(Math.max(state.createdAt + learningMs, this.#now())).toISOString();
    this.#track(this.#o.record({ actor: "polyvault", action: "anomaly.baseline-reset", outcome: "ok", reason: why, detail: `learningUntil=${learningUntil}` }));
    this.#track(this.#o.alerts.notify({ kind: "anomaly.baseline-reset", reason: why, learningUntil }));
    return state;
  }

  #dispatch(f: AnomalyFinding): void {
    const figures = [`observed=${f.observed}`, `threshold=${f.threshold}`, `baseline=${f.baseline}`];
    if (f.windowSeconds !== undefined) figures.push(`windowSeconds=${f.windowSeconds}`);
    if (f.newPrefixes !== undefined) figures.push(`newPrefixes=${f.newPrefixes}`);
    if (f.hour !== undefined) figures.push(`hourUtc=${f.hour}`);
    this.#track(this.#o.record({ actor: f.principal, action: `anomaly.${f.rule}`, outcome: "alert", tenant: f.tenant, detail: figures.join(" ") }));
    this.#track(this.#o.alerts.notify({ kind: "access.anomaly", ...f }));
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
