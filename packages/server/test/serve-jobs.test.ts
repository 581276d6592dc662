/**
 * serve() runs the scheduled jobs (docs/scheduled-jobs.md) beside the sync scheduler: a backup job with a
 * one-second schedule writes verified bundles while the gateway serves, and close() stops it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { listBundles } from "@polyvault/core";
import { Runtime, jobRunner } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { serve } from "../src/index.js";

describe("serve() and the scheduled jobs", () => {
  it("runs the backups job on its schedule while serving, and stops it on close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-serve-jobs-"));
    const backups = join(dir, "backups");
    const config = {
      providers: { local: { type: "file" as const } },
      tenants: { acme: { primary: "local" } },
      backups: { schedule: "every 1s", dir: backups, keep: 3 },
    };
    const rt = await Runtime.open({ dataDir: join(dir, "data"), config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") } });
    await rt.manager("acme").set("K", "value-of-k");
    const gw = await serve(rt, { port: 0, logger: false, localToken: false });
    // Wait for the event: a second recorded run of the job (each run is recorded in the state store).
    const status = () => jobRunner(rt).status();
    let first: Date | undefined;
    for (;;) {
      const last = (await status())[0]?.lastRun;
      if (last && first === undefined) first = last.startedAt;
      if (last && first !== undefined && last.startedAt > first) break;
      await sleep(100);
    }
    await gw.close();
    const after = (await listBundles(backups, "acme")).length;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(after).toBeLessThanOrEqual(3);
    const last = (await status())[0]?.lastRun;
    expect(last?.ok).toBe(true);
    await rt.close();
  });
});
