/**
 * The provider breaker over time, as docs/sync.md documents it: "opens after 5 consecutive retryable
 * failures, half-opens after 10 s". In one long-lived runtime (a gateway or `sync run --watch` keeps its
 * breakers for hours): open at the 5th 503; still open, failing fast without touching the server, just
 * before 10 s; after 10 s one trial call goes through — closed again if it succeeds, open again if it fails.
 */
import { UnavailableError } from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../harness/cli.js";
import { type Bench, type ServerType, openBench } from "./helpers/faults.js";
import { closeRuntime, openRuntime } from "./helpers/runtime.js";
import { notRun } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("fault-breaker");
const HALF_OPEN_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
let bench: Bench;

async function attempt(rt: Runtime, t: ServerType): Promise<{ ok: boolean; err: unknown; ms: number; reached: boolean; startedAt: number }> {
  const proxy = bench.burst[t];
  const before = proxy?.counts.requests ?? 0;
  const t0 = performance.now();
  const err = await rt
    .provider(`${t}b`)
    .list("fault" as never)
    .then(
      () => undefined,
      (e: unknown) => e ?? new Error("rejected"),
    );
  return { ok: err === undefined, err, ms: performance.now() - t0, reached: (proxy?.counts.requests ?? 0) > before, startedAt: t0 };
}

/**
 * Five 503 answers in a row. The breaker opened while the fifth call ran: returns when that call started
 * (`from`, no later than the opening) and when it returned (`by`, no earlier).
 */
async function openIt(rt: Runtime, t: ServerType): Promise<{ from: number; by: number }> {
  bench.burst[t]?.failAlways(503);
  let from = 0;
  for (let i = 1; i <= 5; i++) {
    const a = await attempt(rt, t);
    from = a.startedAt;
    tally.fault();
    tally.check(!a.ok && a.reached, `${t}: failure ${i} reached the server and failed`);
    tally.check(rt.gate(`${t}b`).breakerState === (i < 5 ? "closed" : "open"), `${t}: breaker ${rt.gate(`${t}b`).breakerState} after ${i} failures`);
  }
  return { from, by: performance.now() };
}

/**
 * An open breaker fails without touching the server. Checked only for a call that started before the
 * earliest half-open time (`opened`, no later than the opening, + 10 s): on a loaded machine a sleep can
 * overshoot, and a call that starts later is, correctly, the trial call. How long the refusal took is reported, not asserted.
 */
async function failsFast(rt: Runtime, t: ServerType, when: string, opened: number): Promise<void> {
  const a = await attempt(rt, t);
  if (a.startedAt >= opened + HALF_OPEN_MS) {
    tally.add(`${t}: checks skipped because the machine overshot the half-open time`, 1);
    return;
  }
  tally.check(
    a.err instanceof UnavailableError && /circuit breaker open/.test((a.err as Error).message),
    `${t} ${when}: fails with UNAVAILABLE (breaker open)`,
  );
  tally.check(!a.reached, `${t} ${when}: fails without reaching the server`);
  tally.add(`${t}: open-breaker refusals`, 1);
  tally.note(`${t}: slowest open-breaker refusal (ms)`, Math.max(Number(tally.notes[`${t}: slowest open-breaker refusal (ms)`] ?? 0), Math.round(a.ms)));
}

async function timeline(t: ServerType): Promise<void> {
  const rt = await openRuntime(bench.sb);
  try {
    tally.trial();
    let opened = await openIt(rt, t);
    await failsFast(rt, t, "right after opening", opened.from);
    await sleep(opened.from + HALF_OPEN_MS - 1500 - performance.now());
    await failsFast(rt, t, "8.5 s after opening", opened.from);
    // The server recovers; after 10 s one call is let through, succeeds, and closes the breaker.
    bench.burst[t]?.forward();
    await sleep(opened.by + HALF_OPEN_MS + 500 - performance.now());
    const trial = await attempt(rt, t);
    tally.check(
      trial.reached && trial.ok,
      `${t}: 10.5 s after opening, a call reaches the recovered server and succeeds (${(trial.err as Error)?.message ?? "ok"})`,
    );
    tally.check(rt.gate(`${t}b`).breakerState === "closed", `${t}: closed again after a successful trial call (${rt.gate(`${t}b`).breakerState})`);

    // The other way: the trial call after 10 s fails, and the breaker opens again at once.
    tally.trial();
    opened = await openIt(rt, t);
    await sleep(opened.by + HALF_OPEN_MS + 500 - performance.now());
    const again = await attempt(rt, t);
    tally.check(again.reached && !again.ok, `${t}: the trial call after 10 s reaches the still-failing server`);
    tally.check(rt.gate(`${t}b`).breakerState === "open", `${t}: open again after a failed trial call (${rt.gate(`${t}b`).breakerState})`);
    await failsFast(rt, t, "after the failed trial call", again.startedAt);
  } finally {
    bench.burst[t]?.forward();
    await closeRuntime(rt);
  }
}

describe(`provider breaker over time (aws${notRun("aws") ? " NOT RUN" : ""}, vault${notRun("vault") ? " NOT RUN" : ""}, azure${notRun("azure") ? " NOT RUN" : ""})`, () => {
  beforeAll(async () => {
    bench = await openBench("breaker", false);
    expect((await run(bench.sb, ["init"])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await bench?.close();
  });

  it("opens at the 5th consecutive failure, stays open (failing without reaching the server) until 10 s, then lets one call through", {
    timeout: 120_000,
  }, async () => {
    tally.check(bench.types.length > 0, "aws, vault or azure is up");
    const results = await Promise.allSettled(bench.types.map((t) => timeline(t)));
    expect(results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []))).toEqual([]);
  });
});
