/**
 * The status page's recent audit events with the segments of `serve --workers N` (docs/audit.md,
 * "Workers"): the newest records of every chain, newest first, each segment's saying which it is.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "@polyvault/core";
import { afterAll, describe, expect, it } from "vitest";
import { recentAudit } from "../src/status-page.js";

const dir = mkdtempSync(join(tmpdir(), "pv-status-segments-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("recent audit events across the workers' segments", () => {
  it("lists the newest records of every chain, newest first, with their segment", async () => {
    // Seconds 0…5 in this order of chains: main, w1, w2, w1, main, w2.
    const chains: (string | undefined)[] = [undefined, "w1", "w2", "w1", undefined, "w2"];
    for (const [i, segment] of chains.entries()) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const log = new AuditLog(dir, { ...(segment ? { segment } : {}), now: () => at });
      await log.append({ actor: "alice", action: "read", outcome: "ok", tenant: "acme", name: `s${i}` });
      await log.close();
    }
    const recent = await recentAudit(dir, 4);
    expect(recent.map((r) => [r.name, r.segment])).toEqual([
      ["s5", "w2"],
      ["s4", undefined],
      ["s3", "w1"],
      ["s2", "w2"],
    ]);
    expect(await recentAudit(join(dir, "missing"), 4)).toEqual([]);
  });
});
