import { describe, expect, it } from "vitest";
import { PendingRotations, type RolloutPlanner, type RolloutTarget, RotationPolicies, type RotationEvent, rollOut, runRotations } from "../../src/index.js";
import { DAY, setup } from "./support.js";

async function fleet(policies = new RotationPolicies({ defaultIntervalDays: 30 })) {
  const s = await setup();
  const t0 = Date.now();
  s.provider.clock = () => new Date(t0 - 40 * DAY);
  await s.manager.set("old-1", "v");
  await s.manager.set("old-2", "v");
  s.provider.clock = () => new Date(t0 - 27 * DAY);
  await s.manager.set("soon", "v");
  s.provider.clock = () => new Date(t0);
  await s.manager.set("fresh", "v");
  const events: RotationEvent[] = [];
  const opts = { manager: s.manager, pending: new PendingRotations(s.dataDir), policies, onEvent: (e: RotationEvent) => void events.push(e) };
  return { ...s, opts, events };
}
const pick = (rs: Array<{ name: string; outcome: string }>) => rs.map((r) => [r.name, r.outcome]);

describe("rotation run", () => {
  it("rotates the due and overdue secrets and leaves the others alone", async () => {
    const { opts, manager } = await fleet();
    const rs = await runRotations(opts);
    expect(pick(rs)).toEqual([
      ["old-1", "staged"],
      ["old-2", "staged"],
      ["soon", "staged"],
    ]);
    expect(rs[0]).toMatchObject({ status: "overdue", fromRevision: 1, toRevision: 2 });
    expect(rs[2]).toMatchObject({ status: "due" });
    expect((await manager.get("fresh")).version).toBe(1);
    // Pending rotations are skipped by the next run.
    expect(pick(await runRotations(opts))).toEqual([]);
    expect(pick(await runRotations({ ...opts, secret: "old-1", force: true }))).toEqual([["old-1", "skipped"]]);
  });

  it("--secret alone skips a secret that is not due; with force it rotates; with confirm it is promoted at once", async () => {
    const { opts, manager } = await fleet();
    const skipped = await runRotations({ ...opts, secret: "fresh" });
    expect(skipped[0]).toMatchObject({ outcome: "skipped", status: "ok" });
    expect(skipped[0]?.reason).toMatch(/^not due until \d{4}-/);
    expect(pick(await runRotations({ ...opts, secret: "fresh", force: true, confirm: true }))).toEqual([["fresh", "confirmed"]]);
    expect((await manager.get("fresh")).version).toBe(2);
    expect(await opts.pending.list()).toEqual([]);
  });

  it("a failure is reported to onEvent and the other secrets are still rotated", async () => {
    const { opts, events } = await fleet(
      new RotationPolicies({ defaultIntervalDays: 30, policies: [{ secrets: "old-1", intervalDays: 30, command: "/nonexistent/cmd" }] }),
    );
    const rs = await runRotations(opts);
    expect(pick(rs)).toEqual([
      ["old-1", "failed"],
      ["old-2", "staged"],
      ["soon", "staged"],
    ]);
    expect(rs[0]?.reason).toBe("INVALID_INPUT: rotation command of policies[0] (/nonexistent/cmd) for acme/old-1 cannot be run (ENOENT)");
    expect(events.filter((e) => e.type === "rotation.failed")).toMatchObject([{ tenant: "acme", name: "old-1", revision: 1 }]);
  });

  it("gradual without the sync engine fails with a message saying so", async () => {
    const { opts, manager } = await fleet(
      new RotationPolicies({ defaultIntervalDays: 30, policies: [{ secrets: "**", intervalDays: 30, strategy: "gradual" }] }),
    );
    const rs = await runRotations({ ...opts, secret: "old-1" });
    expect(rs[0]).toMatchObject({
      outcome: "failed",
      reason: "INVALID_INPUT: gradual rotation needs the sync engine's targets, which are not available in this build; use strategy blue-green",
    });
    expect((await manager.get("old-1")).version).toBe(1);
  });

  it("gradual updates targets one at a time and stops at the first failed read-back, leaving the rotation pending", async () => {
    const { opts } = await fleet(new RotationPolicies({ defaultIntervalDays: 30, policies: [{ secrets: "**", intervalDays: 30, strategy: "gradual" }] }));
    const log: string[] = [];
    const target = (name: string, ok: boolean): RolloutTarget => ({
      name,
      push: async () => void log.push(`push ${name}`),
      readBack: async () => {
        log.push(`check ${name}`);
        return ok;
      },
    });
    const rollout: RolloutPlanner = { targetsFor: async () => [target("aws", true), target("azure", false), target("vault", true)] };
    const rs = await runRotations({ ...opts, secret: "old-1", rollout });
    expect(rs[0]?.outcome).toBe("failed");
    expect(rs[0]?.reason).toBe(
      "read-back of target azure does not show the new revision; the rotation stays pending (roll back with `polyvault rotation rollback`)",
    );
    expect(log).toEqual(["push aws", "check aws", "push azure", "check azure"]);
    expect(await opts.pending.get("acme", "old-1")).toMatchObject({ stagedRevision: 2, strategy: "gradual", targetsDone: ["aws"] });
  });
});

describe("rollOut", () => {
  it("skips targets already done and reports a throwing target", async () => {
    const pushed: string[] = [];
    const t = (name: string, fail = false): RolloutTarget => ({
      name,
      push: async () => {
        if (fail) throw new Error("unreachable");
        pushed.push(name);
      },
      readBack: async () => true,
    });
    expect(await rollOut([t("a"), t("b")], { skip: ["a"] })).toEqual({ ok: true, done: ["a", "b"] });
    expect(pushed).toEqual(["b"]);
    expect(await rollOut([t("c"), t("d", true)])).toEqual({ ok: false, done: ["c"], target: "d", reason: "target d: unreachable" });
  });
});
