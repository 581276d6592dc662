import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CanaryRecords, ConflictError, InvalidInputError, confirmCanary, rollbackCanary, runCanary, runRotations } from "../../src/index.js";
import { NEW, OLD, canaryFleet, script, where } from "./canary-support.js";
import { caught } from "./support.js";

const PASS = `[ "$(cat)" = "${NEW}" ] || exit 9`;

describe("canary rotation", () => {
  it("reaches the canary target, then runs the check with the value on stdin, then the other targets", async () => {
    const f = await canaryFleet({ check: await script(PASS) });
    const r = await runCanary(f.ctx, "db", f.policy);
    expect(r.ok).toBe(true);
    expect(f.log).toEqual([
      "stage:started",
      "stage:ok",
      "canary:started",
      "push east",
      "canary:ok",
      "check:started",
      "check:ok",
      "rollout:started",
      "push west",
      "push north",
      "rollout:ok",
    ]);
    expect(where(f.slots)).toEqual({ east: [2, NEW], west: [2, NEW], north: [2, NEW] });
    expect(r.record).toMatchObject({ phase: "done", outcome: "passed", fromRevision: 1, toRevision: 2, targetsDone: ["r:east", "r:west", "r:north"] });
    // Still pending (as blue-green): confirm closes it, once it has passed.
    expect(await f.ctx.pending.get("acme", "db")).toMatchObject({ strategy: "canary", stagedRevision: 2 });
    await confirmCanary(f.ctx, "db");
    expect(await f.ctx.pending.list()).toEqual([]);
    expect((await new CanaryRecords(f.dataDir).get("acme", "db"))?.outcome).toBe("confirmed");
    const file = await readFile(new CanaryRecords(f.dataDir).path, "utf8");
    expect(file).not.toContain(NEW);
    expect(file).not.toContain(OLD);
  });

  it("a failing check rolls back everywhere: the old value at the primary and at every target, the others never got the new one", async () => {
    const f = await canaryFleet({ check: await script("exit 3") });
    const r = await runCanary(f.ctx, "db", f.policy);
    expect(r.ok).toBe(false);
    expect(r.record).toMatchObject({ phase: "rollback", outcome: "rolled-back", restoredRevision: 3, targetsDone: [] });
    expect(r.record.reason).toMatch(/^the canary check failed: CHECK_FAILED: canary check of policies\[0\] \(.*s\.sh\) for acme\/db exited with code 3$/);
    expect(f.log).toEqual([
      "stage:started",
      "stage:ok",
      "canary:started",
      "push east",
      "canary:ok",
      "check:started",
      "check:CHECK_FAILED",
      "rollback:started",
      "push east",
      "push west",
      "push north",
      "rollback:ok",
    ]);
    const now = await f.manager.get("db");
    expect([now.version, now.text()]).toEqual([3, OLD]);
    expect(where(f.slots)).toEqual({ east: [3, OLD], west: [1, OLD], north: [1, OLD] });
    expect(await f.ctx.pending.list()).toEqual([]);
  });

  it("a canary read-back that fails rolls back before the check runs", async () => {
    const f = await canaryFleet({ check: await script(PASS) });
    (f.slots.get("east") as { fail?: string }).fail = "readBack";
    const r = await runCanary(f.ctx, "db", f.policy);
    expect(r.ok).toBe(false);
    expect(r.record.reason).toBe("a canary target did not take the new value: read-back of target r:east does not show the new revision");
    expect(f.log).not.toContain("check:started");
    expect(where(f.slots)).toEqual({ east: [3, OLD], west: [1, OLD], north: [1, OLD] });
  });

  it("a target after the canary that fails rolls back the targets already done; a rollback that cannot reach a target says so", async () => {
    const f = await canaryFleet({ check: await script(PASS) });
    (f.slots.get("north") as { fail?: string }).fail = "push";
    const r = await runCanary(f.ctx, "db", f.policy);
    expect(r.record).toMatchObject({ outcome: "rolled-back", restoredRevision: 3 });
    expect(r.ok ? "" : r.reason).toBe("a target after the canaries did not take the new value: target r:north: north is down");
    expect(where(f.slots)).toEqual({ east: [3, OLD], west: [3, OLD], north: [1, OLD] });

    // Next time west is down, through the rollback too: the primary is back on the old value, west is not.
    (f.slots.get("west") as { down?: boolean }).down = true;
    const again = await runRotations({ ...f.ctx, policies: f.policies, secret: "db", force: true });
    expect(again[0]).toMatchObject({ outcome: "failed", fromRevision: 3, toRevision: 4 });
    expect(again[0]?.reason).toBe(
      "a target after the canaries did not take the new value: target r:west: west is down; the rollback did not complete: CONFLICT: the primary holds the old value again (revision 5), but target r:west: west is down; `polyvault sync apply` carries it there",
    );
    expect((await f.manager.get("db")).text()).toBe(OLD);
    expect(where(f.slots)).toEqual({ east: [5, OLD], west: [3, OLD], north: [1, OLD] });
    expect(await new CanaryRecords(f.dataDir).get("acme", "db")).toMatchObject({ phase: "rollback", outcome: "rollback-failed", restoredRevision: 5 });
  });

  it("refuses an unknown canary target before writing anything", async () => {
    const f = await canaryFleet({ targets: ["south"], check: await script(PASS) });
    const err = await caught(() => runCanary(f.ctx, "db", f.policy));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe(
      "canary rotation of acme/db (policies[0]): canary target 'south' is not a sync target of this tenant's primary (its routes reach: east, west, north)",
    );
    expect((await f.manager.get("db")).version).toBe(1);
    expect(await f.ctx.pending.list()).toEqual([]);
    expect(existsSync(new CanaryRecords(f.dataDir).path)).toBe(false);
    expect(f.log).toEqual([]);
  });

  it("rollback on request puts the old value back everywhere; confirm of a rotation that did not pass is refused", async () => {
    const f = await canaryFleet({ check: await script(PASS) });
    await runCanary(f.ctx, "db", f.policy);
    const rec = await rollbackCanary(f.ctx, "db");
    expect(rec).toMatchObject({ outcome: "rolled-back", restoredRevision: 3, reason: "rolled back on request" });
    expect(where(f.slots)).toEqual({ east: [3, OLD], west: [3, OLD], north: [3, OLD] });

    // A run that died in its check phase (record "running") cannot be confirmed.
    await runCanary(f.ctx, "db", f.policy);
    const records = new CanaryRecords(f.dataDir);
    await records.put({ ...((await records.get("acme", "db")) as NonNullable<Awaited<ReturnType<typeof records.get>>>), phase: "check", outcome: "running" });
    const err = await caught(() => confirmCanary(f.ctx, "db"));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe("the canary rotation of acme/db has not passed (phase check, running); roll it back with `polyvault rotation rollback`");
    expect(await f.ctx.pending.get("acme", "db")).toMatchObject({ stagedRevision: 4 });
  });

  it("refuses to run while every write is pushed to all targets at once", async () => {
    const f = await canaryFleet({ check: await script(PASS) });
    const r = await runRotations({ ...f.ctx, policies: f.policies, secret: "db", force: true, pushesEveryWrite: true });
    expect(r[0]).toMatchObject({ outcome: "failed" });
    expect(r[0]?.reason).toBe(
      "INVALID_INPUT: canary rotation cannot run while every write is pushed to all targets at once (open the runtime with pushOnWrite: false)",
    );
    expect((await f.manager.get("db")).version).toBe(1);
  });
});
