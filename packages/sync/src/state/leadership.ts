/**
 * Scheduler leadership: of several gateways sharing one state store, exactly one runs the scheduler.
 * Each gateway polls one lease (`scheduler` by default) every pollMs: the holder renews it, the others
 * try to take it. On PostgreSQL a dead holder's lease is free as soon as its connection is gone, so a
 * standby takes over within one poll; a holder that hangs loses it when the TTL runs out. On SQLite (one
 * host) the TTL alone bounds failover.
 */
import type { StateStore } from "./types.js";

export interface LeadershipOptions {
  readonly state: StateStore;
  /** This process, as in route leases (SyncEngine.owner). */
  readonly owner: string;
  readonly name?: string | undefined;
  /** How long the lease lasts without renewal (default 15 s): failover bound for a hung holder. */
  readonly ttlMs?: number | undefined;
  /** How often to renew or try (default 1 s): failover bound for a dead holder on PostgreSQL. */
  readonly pollMs?: number | undefined;
  /** Called when this process becomes the leader (start the scheduler, catch up with runDue). */
  readonly onAcquired: () => void | Promise<void>;
  /** Called when it stops being the leader (stop the scheduler). */
  readonly onLost: () => void | Promise<void>;
  /** A failed renewal (the process steps down at once: it cannot know whether another took over). */
  readonly onError?: ((err: unknown) => void) | undefined;
}

export class Leadership {
  readonly name: string;
  readonly ttlMs: number;
  readonly pollMs: number;
  #leader = false;
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;

  constructor(readonly options: LeadershipOptions) {
    this.name = options.name ?? "scheduler";
    this.ttlMs = options.ttlMs ?? 15_000;
    this.pollMs = options.pollMs ?? 1_000;
    if (!(this.pollMs > 0 && this.ttlMs > 2 * this.pollMs))
      throw new RangeError(`leadership needs 0 < pollMs (${this.pollMs}) and ttlMs (${this.ttlMs}) > 2 × pollMs`);
  }

  /** Leader now: the lease was renewed within its TTL (a process paused longer is not, whatever it last saw). */
  get isLeader(): boolean {
    return this.#leader && performance.now() - this.#renewedAt < this.ttlMs;
  }

  start(): this {
    this.#schedule(0);
    return this;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.#once().finally(() => this.#schedule(this.pollMs));
    }, ms);
    this.#timer.unref();
  }

  async #once(): Promise<void> {
    const { state, owner, onError } = this.options;
    let held = false;
    const asked = performance.now();
    try {
      held = await state.tryLease(this.name, owner, this.ttlMs);
    } catch (err) {
      onError?.(err);
    }
    if (this.#stopped) return;
    if (held) {
      this.#renewedAt = asked;
      if (!this.#leader) {
        this.#leader = true;
        await this.#call(this.options.onAcquired);
      }
    } else if (this.#leader) {
      this.#leader = false;
      await this.#call(this.options.onLost);
    }
  }

  async #call(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Stops polling; a leader steps down and frees the lease so that a standby takes over at its next poll. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
    if (this.#leader) {
      this.#leader = false;
      await this.#call(this.options.onLost);
    }
    // Also when a renewal was in flight as we stopped: releasing a lease that is not ours changes nothing.
    await this.options.state.releaseLease(this.name, this.options.owner).catch((err: unknown) => this.options.onError?.(err));
  }
}
