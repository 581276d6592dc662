/**
 * The scheduled rewrap's budget (keys.rewrapPerSecond): keysRewrap with `perSecond` makes its provider
 * calls at most that fast (a lower bound on the time taken, which load can only lengthen), and an
 * aborted signal stops it between calls; a run without either is unchanged.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime, keysRewrap, keysRotate, keysStatus } from "../../src/index.js";

const opened: Runtime[] = [];
afterEach(async () => {
  for (const rt of opened.splice(0)) await rt.close();
});

async function withSecrets(n: number): Promise<Runtime> {
  const dataDir = mkdtempSync(join(tmpdir(), "pv-paced-"));
  const rt = await Runtime.open({
    dataDir,
    config: { providers: { local: { type: "file" } } },
    env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") },
  });
  opened.push(rt);
  for (let i = 0; i < n; i++) await rt.manager("acme").set(`S${i}`, `v${i}`);
  await keysRotate(rt);
  return rt;
}

/** Provider calls (valueReads counts values, not calls). */
const callsOf = (rt: Runtime) => {
  const c = rt.calls().local;
  return c ? c.list + c.head + c.get + c.getMany + c.put + c.delete + c.versions : 0;
};

describe("keysRewrap's rate budget", () => {
  it("makes at most perSecond provider calls a second", async () => {
    const rt = await withSecrets(3);
    const before = callsOf(rt);
    const t0 = performance.now();
    const report = await keysRewrap(rt, { perSecond: 10 });
    const elapsed = performance.now() - t0;
    const calls = callsOf(rt) - before;
    expect(report.tenants[0]?.versionsRewrapped).toBe(3);
    expect(calls).toBeGreaterThanOrEqual(10);
    // `calls` calls at 10 a second, the first at once: at least (calls - 1) × 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual((calls - 1) * 100 - 5);
  });

  it("stops between calls when its signal is aborted, and a later run finishes the work", async () => {
    const rt = await withSecrets(3);
    const ac = new AbortController();
    ac.abort();
    await expect(keysRewrap(rt, { signal: ac.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect((await keysStatus(rt)).versions.find((v) => v.version === 1)?.protects).toBe(3);
    await keysRewrap(rt);
    expect((await keysStatus(rt)).versions.find((v) => v.version === 1)?.protects).toBe(0);
  });
});
