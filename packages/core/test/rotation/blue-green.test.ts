import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  PendingRotations,
  RotationPolicies,
  type RotationEvent,
  confirmRotation,
  rollbackRotation,
  stageRotation,
} from "../../src/index.js";
import { caught, setup } from "./support.js";

const CANARY = "CANARY-bluegreen-51c2";
const policy = new RotationPolicies().resolve("acme", "db");

async function staged() {
  const s = await setup();
  await s.manager.set("db", CANARY);
  const events: RotationEvent[] = [];
  const ctx = { manager: s.manager, pending: new PendingRotations(s.dataDir), onEvent: (e: RotationEvent) => void events.push(e) };
  return { ...s, ctx, events };
}

describe("blue-green rotation", () => {
  it("stages a new revision, keeps the previous one readable, and records it as pending (no value in the record)", async () => {
    const { ctx, manager, events } = await staged();
    const r = await stageRotation(ctx, "db", policy);
    expect(r).toEqual({ previousRevision: 1, stagedRevision: 2 });
    const now = await manager.get("db");
    expect(now.version).toBe(2);
    expect(now.text()).not.toBe(CANARY);
    expect((await manager.get("db", { version: 1 })).text()).toBe(CANARY);
    expect(await ctx.pending.get("acme", "db")).toMatchObject({ previousRevision: 1, stagedRevision: 2, state: "staged", strategy: "blue-green" });
    const file = await readFile(ctx.pending.path, "utf8");
    expect(file).not.toContain(CANARY);
    expect(file).not.toContain(now.text());
    expect(events.map((e) => [e.type, e.revision, e.previousRevision])).toEqual([["rotation.staged", 2, 1]]);
  });

  it("refuses to stage twice: confirm or roll back first", async () => {
    const { ctx, manager } = await staged();
    await stageRotation(ctx, "db", policy);
    const err = await caught(() => stageRotation(ctx, "db", policy));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe("a rotation of acme/db is already pending (revision 2); confirm or roll it back first");
    expect((await manager.versions("db")).length).toBe(2);
  });

  it("confirm closes the record; confirming again is NotFound", async () => {
    const { ctx, events } = await staged();
    await stageRotation(ctx, "db", policy);
    expect(await confirmRotation(ctx, "db")).toEqual({ previousRevision: 1, stagedRevision: 2 });
    expect(await ctx.pending.list()).toEqual([]);
    expect(events.at(-1)?.type).toBe("rotation.confirmed");
    const err = await caught(() => confirmRotation(ctx, "db"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe("no rotation of acme/db is pending");
  });

  it("rollback writes the previous value again as a new revision", async () => {
    const { ctx, manager, events } = await staged();
    await stageRotation(ctx, "db", policy);
    expect(await rollbackRotation(ctx, "db")).toEqual({ restoredRevision: 1, revision: 3 });
    const v = await manager.get("db");
    expect([v.version, v.text()]).toEqual([3, CANARY]);
    expect(await ctx.pending.list()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: "rotation.rolled-back", revision: 3, previousRevision: 1 });
    expect(JSON.stringify(events)).not.toContain(CANARY);
  });

  it("a write after staging blocks confirm and rollback (rollback --force still works)", async () => {
    const { ctx, manager } = await staged();
    await stageRotation(ctx, "db", policy);
    await manager.set("db", "someone-else");
    const c = await caught(() => confirmRotation(ctx, "db"));
    expect(c).toBeInstanceOf(ConflictError);
    expect(c.message).toBe("acme/db changed after the rotation was staged (revision 2, now 3); roll back or check who wrote it");
    const r = await caught(() => rollbackRotation(ctx, "db"));
    expect(r.message).toBe("acme/db changed after the rotation was staged (revision 2, now 3); use --force to roll back anyway");
    expect((await manager.get("db")).version).toBe(3);
    expect(await rollbackRotation(ctx, "db", { force: true })).toEqual({ restoredRevision: 1, revision: 4 });
    expect((await manager.get("db")).text()).toBe(CANARY);
  });

  it("an interrupted stage (record written, revision not) is settled as nothing pending", async () => {
    const { ctx, manager } = await staged();
    await ctx.pending.put({ tenant: "acme", name: "db", previousRevision: 1, state: "staging", strategy: "blue-green", stagedAt: new Date().toISOString() });
    const err = await caught(() => confirmRotation(ctx, "db"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe("the rotation of acme/db was interrupted before its new revision was written; nothing is pending any more");
    expect(await ctx.pending.list()).toEqual([]);
    expect((await manager.get("db")).version).toBe(1);
  });

  it("an interrupted stage whose revision was written can still be rolled back", async () => {
    const { ctx, manager } = await staged();
    await ctx.pending.put({ tenant: "acme", name: "db", previousRevision: 1, state: "staging", strategy: "blue-green", stagedAt: new Date().toISOString() });
    await manager.rotate("db");
    expect(await rollbackRotation(ctx, "db")).toEqual({ restoredRevision: 1, revision: 3 });
    expect((await manager.get("db")).text()).toBe(CANARY);
  });

  it("a failed write leaves nothing pending and the secret unchanged", async () => {
    const { ctx, manager, provider } = await staged();
    provider.failing.add("put");
    const err = await caught(() => stageRotation(ctx, "db", policy));
    expect(err.message).toBe("provider mem is down (put)");
    expect(await ctx.pending.list()).toEqual([]);
    provider.failing.clear();
    expect((await manager.get("db")).version).toBe(1);
  });

  it("refuses a secret that does not exist", async () => {
    const { ctx } = await staged();
    const err = await caught(() => stageRotation(ctx, "nope", policy));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(await ctx.pending.list()).toEqual([]);
  });
});
