/**
 * Figures, not adjectives: each suite counts its trials, the faults it injected and the invariants it
 * checked, and writes them (when run by test/reliability/run.mjs) to $POLYVAULT_RELIABILITY_REPORT/<suite>.json.
 * An invariant is counted only once its assertion has passed; failures come from vitest's own results.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect } from "vitest";

export class Tally {
  trials = 0;
  faults = 0;
  invariants = 0;
  readonly notes: Record<string, number | string> = {};

  constructor(readonly suite: string) {
    afterAll(() => this.#write());
  }

  trial(n = 1): void {
    this.trials += n;
  }

  fault(n = 1): void {
    this.faults += n;
  }

  /** Asserts `ok` (failing the test with `message`), then counts one invariant. */
  check(ok: boolean, message: string): void {
    expect(ok, message).toBe(true);
    this.invariants++;
  }

  /** Asserts deep equality, then counts one invariant. */
  same(actual: unknown, expected: unknown, message: string): void {
    expect(actual, message).toEqual(expected);
    this.invariants++;
  }

  note(key: string, value: number | string): void {
    this.notes[key] = value;
  }

  add(key: string, n = 1): void {
    this.notes[key] = Number(this.notes[key] ?? 0) + n;
  }

  #write(): void {
    const dir = process.env.POLYVAULT_RELIABILITY_REPORT;
    if (!dir) return;
    const { suite, trials, faults, invariants, notes } = this;
    writeFileSync(join(dir, `${suite}.json`), `${JSON.stringify({ suite, trials, faults, invariants, notes })}\n`);
  }
}
