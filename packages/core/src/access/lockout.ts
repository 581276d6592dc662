/**
 * Lockout state, shared by every process of a data directory (each CLI call is a new process):
 * <dataDir>/access-state.json (0600), replaced atomically under a lock. It holds principal ids and
 * times only. A principal with `maxFailures` failures within `windowSeconds` is locked for `lockSeconds`;
 * requests refused while locked do not extend the lock.
 *
 * Every request asks whether its principal is locked: that answer comes from the file as last parsed
 * while a `stat` shows the same file (inode, size, modification and change times); any replacement or
 * edit, by this process or another, is read again. Recording a failure always reads the file afresh.
 */
import { type BigIntStats, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UnavailableError } from "../errors.js";
import { writeFileAtomicSync } from "../audit/file-io.js";
import { withLock } from "../audit/lock.js";
import { LOCKOUT_DEFAULTS, type LockoutOptions } from "./types.js";

interface Entry {
  failures: number[];
  lockedUntil?: number;
}
interface State {
  v: 1;
  principals: Record<string, Entry>;
}

const MAX_KEPT = 1000;

export interface FailureResult {
  /** Failures within the window, this one included. */
  readonly failures: number;
  readonly lockedUntil: Date | undefined;
  /** This failure is the one that locked the principal. */
  readonly justLocked: boolean;
}

export class LockoutStore {
  readonly path: string;
  readonly policy: { readonly maxFailures: number; readonly windowSeconds: number; readonly lockSeconds: number };
  readonly #lock: string;
  readonly #now: () => Date;
  /** The state as last parsed, for lockedUntil (read-only), and the stat it was parsed under. */
  #seen: { readonly stat: string; readonly state: State } | undefined;

  constructor(dataDir: string, options: LockoutOptions = {}, now: () => Date = () => new Date()) {
    this.path = join(dataDir, "access-state.json");
    this.#lock = join(dataDir, "access-state.lock");
    this.policy = {
      maxFailures: options.maxFailures ?? LOCKOUT_DEFAULTS.maxFailures,
      windowSeconds: options.windowSeconds ?? LOCKOUT_DEFAULTS.windowSeconds,
      lockSeconds: options.lockSeconds ?? LOCKOUT_DEFAULTS.lockSeconds,
    };
    this.#now = now;
  }

  /** When the principal's lock ends, if it is locked now. */
  lockedUntil(principal: string): Date | undefined {
    const until = this.#current().principals[principal]?.lockedUntil;
    return until !== undefined && until > this.#now().getTime() ? new Date(until) : undefined;
  }

  /** Counts a failure; `lock: false` counts without ever locking (failures with no principal to lock). */
  async recordFailure(principal: string, options: { lock?: boolean } = {}): Promise<FailureResult> {
    return withLock(this.path, this.#lock, () => {
      const now = this.#now().getTime();
      const state = this.#read();
      const entry = state.principals[principal] ?? { failures: [] };
      if (entry.lockedUntil !== undefined && entry.lockedUntil > now)
        return { failures: entry.failures.length, lockedUntil: new Date(entry.lockedUntil), justLocked: false };
      // Capped, so a flood of bad tokens cannot grow the file without bound (counts past the cap stay at the cap).
      entry.failures = [...entry.failures.filter((t) => t > now - this.policy.windowSeconds * 1000), now].slice(-MAX_KEPT);
      delete entry.lockedUntil;
      const count = entry.failures.length;
      const justLocked = options.lock !== false && count >= this.policy.maxFailures;
      if (justLocked) {
        entry.lockedUntil = now + this.policy.lockSeconds * 1000;
        entry.failures = [];
      }
      state.principals[principal] = entry;
      this.#prune(state, now);
      writeFileAtomicSync(this.path, `${JSON.stringify(state)}\n`);
      return { failures: count, lockedUntil: justLocked ? new Date(now + this.policy.lockSeconds * 1000) : undefined, justLocked };
    });
  }

  /** Drops entries with nothing left in the window and no lock, so the file does not grow. */
  #prune(state: State, now: number): void {
    for (const [id, e] of Object.entries(state.principals)) {
      e.failures = e.failures.filter((t) => t > now - this.policy.windowSeconds * 1000);
      if (e.lockedUntil !== undefined && e.lockedUntil <= now) delete e.lockedUntil;
      if (e.failures.length === 0 && e.lockedUntil === undefined) delete state.principals[id];
    }
  }

  /** The state for reading only: parsed again only when the file is not the one last parsed. */
  #current(): State {
    let st: BigIntStats | undefined;
    try {
      st = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      throw new UnavailableError(`access state ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code}); refusing requests until it can`);
    }
    if (st === undefined) return { v: 1, principals: Object.create(null) };
    // Read before parsing: a file replaced in between is parsed now and read again at the next call.
    const stat = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (this.#seen?.stat === stat) return this.#seen.state;
    const state = this.#read();
    this.#seen = { stat, state };
    return state;
  }

  #read(): State {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { v: 1, principals: Object.create(null) };
      throw new UnavailableError(`access state ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code}); refusing requests until it can`);
    }
    try {
      const s = JSON.parse(text) as State;
      if (s.v !== 1 || typeof s.principals !== "object" || s.principals === null) throw new Error("shape");
      // Keyed by principal id: a null-prototype object, so an id such as `constructor` is its own entry.
      return { ...s, principals: Object.assign(Object.create(null), s.principals) };
    } catch {
      throw new UnavailableError(`access state ${this.path} is damaged; refusing requests until it is repaired or removed (removing it clears every lockout)`);
    }
  }
}
