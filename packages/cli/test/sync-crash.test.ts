import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTenantId } from "@polyvault/core";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { cli, start, killAt, sandbox, versionFiles } from "../../../test/harness/cli.js";

const CONFIG = `
providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror-store }
tenants:
  acme: { primary: local, mirrors: [mirror] }
routes:
  m:
    source: local
    targets: [mirror]
    tenants: [acme]
    prune: true
    # The strictest policy: a kill must never leave anything for a person (a write a killed run left
    # unrecorded, under a source that moved on since, is this route's own and is updated).
    conflict: fail
    # Every round deletes a few secrets: over 20+ rounds more than the default 10 % of the mirror.
    maxDeleteFraction: 1
`;

describe("sync apply killed with SIGKILL at random moments converges", () => {
  it("20+ kills: every target equals the source, nothing lost, at most one new version per real change", async () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), CONFIG);
    expect(cli(sb, ["init"]).code).toBe(0);
    const open = () => Runtime.open({ dataDir: sb.home, configPath: join(sb.cwd, "polyvault.yaml"), env: {}, pushOnWrite: false });
    const expected = new Map<string, string>();
    const changes = new Map<string, number>();
    const deleted = new Set<string>();
    const write = async (names: string[], round: number, remove: string[] = []) => {
      const rt = await open();
      try {
        for (const n of names) {
          const v = `${n}@${round}`;
          await rt.manager("acme").set(n, v);
          expected.set(n, v);
          deleted.delete(n);
          changes.set(n, (changes.get(n) ?? 0) + 1);
        }
        for (const n of remove) {
          if (!expected.has(n)) continue;
          await rt.manager("acme").delete(n);
          expected.delete(n);
          deleted.add(n);
        }
      } finally {
        await rt.close();
      }
    };
    await write([...Array.from({ length: 300 }, (_, i) => `s/${i}`), ...Array.from({ length: 120 }, (_, i) => `d/${i}`)], 0);

    // Kill on an observed point: once the apply has written a random number of the round's versions into
    // the mirror (its store's version files), never on a timer that may land during Node's start-up.
    // Only kills that hit before the round's last write count.
    let kills = 0;
    const mirrorStore = join(sb.cwd, "mirror-store");
    // Rounds go on until 20 kills have landed mid-apply (bounded: a kill after the last write is not counted).
    for (let round = 1; kills < 20; round++) {
      // On a loaded machine many kills land after the apply's last write (the poll is every 25 ms);
      // the bound only stops a run where kills never land.
      expect(round, `only ${kills} kills landed mid-apply`).toBeLessThanOrEqual(100);
      // Real changes every round, so that every apply has work to be killed in the middle of.
      const work = round === 1 ? 420 : 60;
      // Real changes every round, and three deletions (of d/*, written once and never again: a secret
      // deleted and written anew between two runs restarts at revision 1, which sync rightly reports as
      // a rollback), so that kills also land between a write and a deletion.
      if (round > 1)
        await write(
          Array.from({ length: work }, (_, i) => `s/${(round * 37 + i * 5) % 300}`),
          round,
          [0, 1, 2].map((k) => `d/${(round * 3 + k) % 120}`),
        );
      const before = versionFiles(mirrorStore).length;
      const child = start({ cwd: sb.cwd, env: sb.env }, ["sync", "apply"]);
      const at = before + 1 + Math.floor(Math.random() * (work * 0.5));
      const hit = await killAt(child, () => versionFiles(mirrorStore).length, at);
      if (hit.killed && hit.progress < before + work) kills++;
    }
    expect(kills).toBeGreaterThanOrEqual(20);

    const final = cli(sb, ["sync", "apply", "--json"]);
    expect(final.code, `${final.stderr}\n${final.out}`).toBe(0); // with --json, what was left (failures, conflicts, drift) is on stdout
    const plan = JSON.parse(cli(sb, ["sync", "plan", "--json"]).out);
    expect(plan.summary.changes).toBe(0);

    const rt = await open();
    try {
      const mirror = rt.provider("mirror");
      const acme = parseTenantId("acme");
      const asMirror = new (await import("@polyvault/core")).SecretManager({ tenant: acme, keyring: rt.keyring, primary: mirror });
      // A secret deleted in the source is gone from the mirror — unless the route never recorded it: a
      // kill after its first copy landed, then its deletion before any run recorded it. Such a copy is
      // only in the target as far as the route knows, and is left alone (docs/sync.md: another route may
      // have written it); it can only be the first copy, revision 1.
      const records = await (await rt.state()).records("m", "mirror", "acme");
      let gone = 0;
      for (const name of deleted) {
        const left = await mirror.get(acme, name).catch((err: { code?: string }) => {
          expect(err.code, name).toBe("NOT_FOUND");
          return undefined;
        });
        if (!left) {
          gone++;
          continue;
        }
        expect(records.has(name), `${name} is still in the mirror though the route recorded it`).toBe(false);
        expect(left.metadata["pv-rev"], name).toBe("1");
      }
      expect(gone).toBeGreaterThan(0);
      for (const [name, value] of expected) {
        expect((await asMirror.get(name)).text()).toBe(value);
        const versions = await mirror.versions(acme, name);
        expect(versions.length, name).toBeLessThanOrEqual(changes.get(name) ?? 0);
      }
      // The final run closed every journal entry the killed runs left open.
      expect(await (await rt.state()).pendingJournal()).toEqual([]);
    } finally {
      await rt.close();
    }
  }, 900_000);
});
