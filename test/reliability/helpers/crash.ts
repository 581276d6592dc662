/**
 * Crash trials: run a CLI command and SIGKILL it at a random moment. The window is calibrated from one
 * uninterrupted run of the same command (its wall time D); kills land uniformly in [0.2·D, 1.1·D], so most
 * hit the command mid-way (start-up, reads, writes, journal, audit) and some let it finish, which
 * exercises the "acknowledged" side of each invariant too.
 */
import { type RunOptions, type CliResult, type CliSandbox, acknowledged, randomMs, run } from "../../harness/cli.js";
import type { Tally } from "./tally.js";

export interface KillOutcome {
  readonly result: CliResult;
  /** The CLI exited 0 on its own before the kill: its write is acknowledged. */
  readonly acked: boolean;
  readonly killed: boolean;
}

export class Window {
  #ms = 0;
  /** One run that is not killed; its duration sizes the kill window. It must succeed. */
  async calibrate(sb: CliSandbox, args: string[], options: RunOptions = {}): Promise<CliResult> {
    const r = await run(sb, args, options);
    if (r.code !== 0) throw new Error(`calibration run of polyvault ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    this.#ms = Math.max(this.#ms, r.ms);
    return r;
  }

  get ms(): number {
    return this.#ms;
  }

  pick(): number {
    return randomMs(0.2 * this.#ms, 1.1 * this.#ms);
  }
}

/** Runs `args` and kills it at a random point of the window; an error exit that is not the kill fails. */
export async function killAtRandom(tally: Tally, sb: CliSandbox, window: Window, args: string[], options: RunOptions = {}): Promise<KillOutcome> {
  const result = await run(sb, args, { ...options, killAtMs: window.pick() });
  const killed = result.signal === "SIGKILL";
  tally.trial();
  if (killed) tally.fault();
  tally.check(killed || result.code === 0, `polyvault ${args.join(" ")} failed without being killed (${result.code}): ${result.stderr}`);
  tally.add(killed ? "killed" : "completed before the kill");
  return { result, acked: acknowledged(result), killed };
}

/** Runs `count` trial chains side by side (each with its own sandbox), so CLI start-ups overlap. */
export async function chains(count: number, chain: (index: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => chain(i)));
}
