/**
 * One provider call's deadline: an abort signal that fires at `timeoutMs`, and the time left. The
 * signal's timer does not keep a process alive; p-retry's backoff timers do, while a retry waits.
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly #end: number;

  constructor(readonly timeoutMs: number) {
    this.#end = performance.now() + timeoutMs;
    this.signal = AbortSignal.timeout(timeoutMs);
  }
  get expired(): boolean {
    return this.signal.aborted || this.remaining() <= 0;
  }
  /** Milliseconds left (0 once passed). */
  remaining(): number {
    return Math.max(0, this.#end - performance.now());
  }
}

/** Runs `fn` under a fresh deadline. */
export function withDeadline<T>(timeoutMs: number, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
  return fn(new Deadline(timeoutMs));
}
