/**
 * Failover with PostgreSQL, measured: a gateway process that holds a lease (a route, or scheduler
 * leadership) is killed, and another process takes over. The figures are printed for the release notes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Leadership, PgStateStore, combine } from "../src/index.js";
import { pgBed, useCluster } from "./pg-helpers.js";

const cluster = useCluster();
const CHILD = resolve(import.meta.dirname, "fixtures/pg-child.mjs");
const children: ChildProcess[] = [];
const stores: PgStateStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const s of stores.splice(0)) await s.close();
});

/** Starts the child gateway; `until(line)` waits for a line of its output that matches. */
function child(args: string[]): { proc: ChildProcess; until: (re: RegExp) => Promise<string> } {
  const proc = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let buf = "";
  proc.stdout?.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.re.test(line))) w.resolve(line);
    }
  });
  const until = (re: RegExp) => {
    const seen = lines.find((l) => re.test(l));
    return seen !== undefined ? Promise.resolve(seen) : new Promise<string>((r) => waiters.push({ re, resolve: r }));
  };
  return { proc, until };
}

const open = async (url: string) => {
  const s = await PgStateStore.open(url);
  stores.push(s);
  return s;
};

/** Polls `fn` every 5 ms until it is true; returns the milliseconds it took. */
async function timeUntil(fn: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (!(await fn())) {
    if (performance.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms`);
    await sleep(5);
  }
  return performance.now() - t0;
}

describe("failover when the process holding a lease dies or hangs (PostgreSQL)", () => {
  it("SIGKILL: the route lease (TTL 5 min) is free as soon as PostgreSQL sees the connection close", async () => {
    const url = cluster().createDatabase();
    const c = child(["lease", url, "route:mirror", "dead-host:1:x", "300000"]);
    expect(await c.until(/held|refused/)).toBe("held");
    const me = await open(url);
    expect(await me.tryLease("route:mirror", "survivor", 300_000)).toBe(false);
    c.proc.kill("SIGKILL");
    // Bounded by a fraction of the TTL (not a guess at this machine's speed): only expiry would take 300 s.
    const ms = await timeUntil(() => me.tryLease("route:mirror", "survivor", 300_000), 60_000);
    console.log(`[failover] route lease after SIGKILL of its holder: ${ms.toFixed(1)} ms (TTL 300000 ms)`);
    expect(await me.leaseHolder("route:mirror")).toBe("survivor");
  });

  it("SIGSTOP (hung, connection still open): the lease is taken when its TTL runs out, not before", async () => {
    const url = cluster().createDatabase();
    const c = child(["lease", url, "route:mirror", "hung-host:1:x", "1500"]);
    expect(await c.until(/held|refused/)).toBe("held");
    const me = await open(url);
    const expiry = async () =>
      (await me.pool.query<{ t: Date }>("SELECT expires_at AS t FROM pv_leases WHERE name = 'route:mirror'")).rows[0]?.t.getTime() ?? 0;
    const childExpiry = await expiry();
    c.proc.kill("SIGSTOP");
    const ms = await timeUntil(() => me.tryLease("route:mirror", "survivor", 60_000), 5_000);
    console.log(`[failover] route lease of a hung holder (TTL 1500 ms): ${ms.toFixed(0)} ms`);
    // Taken (by the database clock) no earlier than the hung holder's expiry: the TTL freed it, not liveness.
    expect((await expiry()) - 60_000).toBeGreaterThanOrEqual(childExpiry);
    c.proc.kill("SIGKILL");
  });

  it("scheduler leadership moves to a standby within one poll of the leader's death", async () => {
    const url = cluster().createDatabase();
    const c = child(["leader", url, "gw-child", "200", "15000"]);
    await c.until(/^leader$/);
    let acquiredAt = 0;
    const standby = new Leadership({
      state: await open(url),
      owner: "gw-standby",
      pollMs: 200,
      ttlMs: 15_000,
      onAcquired: () => {
        acquiredAt = performance.now();
      },
      onLost: () => undefined,
    }).start();
    await sleep(600);
    expect(standby.isLeader).toBe(false);
    const killedAt = performance.now();
    c.proc.kill("SIGKILL");
    await timeUntil(async () => standby.isLeader, 14_000);
    const ms = acquiredAt - killedAt;
    console.log(`[failover] scheduler leadership after SIGKILL of the leader: ${ms.toFixed(0)} ms (poll 200 ms, TTL 15000 ms)`);
    expect(ms).toBeLessThan(15_000); // before the 15 s TTL: the dead session freed it (the figure above is typically < 1 s)
    await standby.stop();
  });

  it("a gateway killed mid-apply: another takes the route at once, finishes it, and writes nothing twice", async () => {
    const b = await pgBed(cluster().createDatabase(), ["acme"]);
    stores.push(b.state);
    const N = 300;
    for (let i = 0; i < N; i++) await b.manager("acme").set(`f/${i}`, `value-${i}`);
    const c = child(["apply", b.url, b.dir, "gw-child:1:x"]);
    await c.until(/^progress [1-9][0-9]{2} /); // 100 or more of 300 done
    const killedAt = performance.now();
    c.proc.kill("SIGKILL");
    let run: Awaited<ReturnType<ReturnType<typeof b.engine>["apply"]>>[number] | undefined;
    await timeUntil(async () => {
      [run] = await b.engine({}, { owner: "gw-survivor" }).apply();
      return !run?.skipped;
    }, 5_000);
    console.log(`[failover] route taken over and applied ${((performance.now() - killedAt) / 1000).toFixed(2)} s after SIGKILL mid-apply`);
    expect(run?.result?.counts.failed).toBe(0);
    expect((await b.engine().status()).routes[0]?.pending).toBe(0);
    expect(combine(await b.engine().plan()).summary.changes).toBe(0);
    for (let i = 0; i < N; i++) {
      const versions = await b.rawTarget.versions(b.tenants[0] as never, `f/${i}`);
      expect(versions.length, `f/${i} was written ${versions.length} times`).toBe(1);
    }
    expect((await b.manager("acme", b.target).get("f/299")).text()).toBe("value-299");
  });
});
