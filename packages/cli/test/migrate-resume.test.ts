// docs/sync.md: "rerunning resumes". A migration killed (SIGKILL) in the middle of its copy, then run
// again: the rerun copies only what is missing, verifies every secret, and no secret gets a second
// version in the target.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { cli, start, killAt, sandbox, versionFiles } from "../../../test/harness/cli.js";

const COUNT = 200;
const ATTEMPTS = 6;

describe("polyvault migrate, killed midway and run again", () => {
  it("resumes: the rerun copies only what is missing and verifies all; one version per secret in the target", async () => {
    const sb = sandbox();
    // A fresh target per attempt: a kill that lands after the copy has finished is not counted, and the
    // next attempt copies into an empty store (as keys.test.ts and sync-crash.test.ts retry theirs).
    const targets = Array.from({ length: ATTEMPTS }, (_, n) => `  next${n}: { type: file, dir: ./next-store-${n} }\n`).join("");
    writeFileSync(join(sb.cwd, "polyvault.yaml"), `providers:\n  local: { type: file }\n${targets}tenants:\n  acme: { primary: local }\n`);
    expect(cli(sb, ["init"]).code).toBe(0);
    const rt = await Runtime.open({ dataDir: sb.home, configPath: join(sb.cwd, "polyvault.yaml"), env: {}, pushOnWrite: false });
    try {
      const m = rt.manager("acme");
      for (let i = 0; i < COUNT; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => m.set(`m/${i + j}`, `value-${i + j}`)));
    } finally {
      await rt.close();
    }
    let hit: { killed: boolean; progress: number } | undefined;
    let to = "";
    let target = "";
    for (let n = 0; !(hit?.killed && hit.progress < COUNT); n++) {
      expect(n, "the migration kept finishing before the kill").toBeLessThan(ATTEMPTS);
      to = `next${n}`;
      target = join(sb.cwd, `next-store-${n}`);
      const store = target;
      // Killed once the copy has written between 10 % and 90 % of the secrets (an observed point).
      const at = Math.floor(COUNT * (0.1 + Math.random() * 0.8));
      hit = await killAt(start(sb, ["migrate", "--tenant", "acme", "--from", "local", "--to", to]), () => versionFiles(store).length, at);
    }
    const first = hit as { killed: boolean; progress: number };

    const rerun = cli(sb, ["migrate", "--tenant", "acme", "--from", "local", "--to", to, "--verify", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.out);
    // What the killed run had written is not written again (the journal may hold one in-flight write).
    expect(report.copy.counts.created).toBeLessThanOrEqual(COUNT - first.progress + 1);
    expect(report.copy.counts.created).toBeGreaterThan(0);
    expect(report.verify).toEqual({ checked: COUNT, mismatches: [] });
    // One version per secret: nothing was copied twice.
    expect(versionFiles(target).length).toBe(COUNT);
  }, 600_000);
});
