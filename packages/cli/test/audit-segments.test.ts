/**
 * `polyvault audit verify`, `audit export` and `audit new-chain` on a data directory with the segments of
 * `serve --workers 2` (docs/audit.md, "Workers"): the segments are checked and counted with the main
 * chain, a deleted one is exit 6 naming it, export merges them, and new-chain keeps them aside.
 */
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, SegmentLog } from "@polyvault/core";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

describe("audit commands on a directory with two workers' segments", () => {
  const sb = sandbox();

  beforeAll(async () => {
    const main = new AuditLog(sb.home);
    await main.append({ actor: "alice", action: "config.change", outcome: "ok" });
    for (const w of [1, 2]) {
      const seg = await SegmentLog.open(main, `w${w}`, {}, `worker=${w}`);
      for (let i = 0; i < 3; i++) await seg.log.append({ actor: "alice", tenant: "acme", action: "read", name: `w${w}/s${i}`, outcome: "ok" });
      await seg.close();
    }
    await main.close();
  });

  it("verify counts and checks every segment (exit 0), in text and --json", () => {
    const r = cli(sb, ["audit", "verify", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.out) as { ok: boolean; segments: { segment: string; ok: boolean; records: number }[] };
    expect(report.ok).toBe(true);
    expect(report.segments.map((g) => [g.segment, g.ok, g.records])).toEqual([
      ["w1", true, 4],
      ["w2", true, 4],
    ]);
    expect(cli(sb, ["audit", "verify"]).out).toMatch(
      /\n {2}segment w1 \(serve's worker chain, named by the main chain\): 4 record\(s\), 2 signed checkpoint\(s\)\n {2}segment w2 .*: 4 record\(s\)/,
    );
  });

  it("export merges the segments' records with the main chain's, each saying its segment", () => {
    const r = cli(sb, ["audit", "export"]);
    expect(r.code, r.stderr).toBe(0);
    const names = r.out
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { name?: string; segment?: string })
      .filter((e) => e.name);
    expect(names.map((e) => `${e.segment}:${e.name}`)).toEqual(["w1:w1/s0", "w1:w1/s1", "w1:w1/s2", "w2:w2/s0", "w2:w2/s1", "w2:w2/s2"]);
  });

  it("a deleted segment is exit 6 naming it; nothing is written to it", () => {
    const copy = sandbox();
    cpSync(sb.home, copy.home, { recursive: true });
    rmSync(join(copy.home, "audit-segments", "w2"), { recursive: true });
    const r = cli(copy, ["audit", "verify"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /^polyvault: INTEGRITY: audit log .*audit\.log: segment w2 \(audit-segments\/w2\/audit\.log\): the log was rolled back: the log ends at record 0 but the main chain \(its line \d+\) holds a signed checkpoint of 5 entries/,
    );
    expect(existsSync(join(copy.home, "audit-segments", "w2"))).toBe(false);
  });

  it("new-chain keeps the segments aside with the old log; the new chain verifies", () => {
    const copy = sandbox();
    cpSync(sb.home, copy.home, { recursive: true });
    const r = cli(copy, ["audit", "new-chain", "--reason", "segments test", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const kept = (JSON.parse(r.out) as { kept: string[] }).kept;
    expect(kept.map((k) => k.replace(/replaced-.*$/, "replaced-T"))).toEqual(["audit.log.replaced-T", "audit.head.replaced-T", "audit-segments.replaced-T"]);
    expect(readdirSync(copy.home)).not.toContain("audit-segments");
    const v = cli(copy, ["audit", "verify", "--json"]);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.out).segments).toBeUndefined();
  });
});
