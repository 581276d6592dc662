import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  AuditLog,
  AuditStep,
  InternalError,
  NotFoundError,
  type Operation,
  SecretValue,
  UnavailableError,
  parseTenantId,
  runSteps,
  verifyAuditLog,
} from "../../src/index.js";
import { lines, tempDir } from "./helpers.js";

const tenant = parseTenantId("acme");
const op = (action: Operation["action"], name?: string): Operation => ({ tenant, action, name, actor: "local-operator" });
const value = () =>
  new SecretValue(
    { tenant, name: "db/url", version: 1, servedBy: "local", stale: false, updatedAt: undefined, labels: {}, keyVersion: 1 },
    Buffer.from("CANARY-STEP-VALUE"),
  );
const records = (dir: string) =>
  lines(dir)
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === "record");

describe("AuditStep", () => {
  it("a change is recorded before (started) and after (ok) with one request id; a read once, after", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    const step = new AuditStep(log);
    await runSteps([step], op("write", "db/url"), async () => ({ version: 1 }));
    const v = await runSteps([step], op("read", "db/url"), async () => value());
    v.wipe();
    await log.close();
    const rs = records(dir);
    expect(rs.map((r) => [r.action, r.outcome, r.actor, r.tenant, r.name])).toEqual([
      ["write", "started", "local-operator", "acme", "db/url"],
      ["write", "ok", "local-operator", "acme", "db/url"],
      ["read", "ok", "local-operator", "acme", "db/url"],
    ]);
    expect(rs[0].requestId).toBe(rs[1].requestId);
    expect(rs[2].requestId).not.toBe(rs[0].requestId);
    expect(lines(dir).join("\n")).not.toContain("CANARY-STEP-VALUE");
    expect(verifyAuditLog(dir).ok).toBe(true);
  });

  it("a failed operation is recorded with its error code and the error reaches the caller", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await expect(runSteps([new AuditStep(log)], op("read", "nope"), async () => Promise.reject(new NotFoundError('secret "nope" not found')))).rejects.toThrow(
      NotFoundError,
    );
    await log.close();
    expect(records(dir).map((r) => r.outcome)).toEqual(["NOT_FOUND"]);
  });

  it("fail closed: with the log unwritable a change never runs, and the alert hook hears of it", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "audit.log"));
    const onWriteFailure = vi.fn();
    const body = vi.fn(async () => ({ version: 1 }));
    const err = await runSteps([new AuditStep(new AuditLog(dir), { onWriteFailure })], op("write", "db/url"), body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/cannot be written \(EISDIR\); the operation is refused/);
    expect(body).not.toHaveBeenCalled();
    expect(onWriteFailure).toHaveBeenCalledOnce();
    expect(onWriteFailure.mock.calls[0]?.[1]).toMatchObject({ action: "write", outcome: "started" });
  });

  it("fail closed: with the log unwritable a read's value is wiped and withheld", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "audit.log"));
    let handedOut: SecretValue | undefined;
    const err = await runSteps([new AuditStep(new AuditLog(dir))], op("read", "db/url"), async () => (handedOut = value())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(() => handedOut?.bytes()).toThrow();
  });

  it("a change whose outcome cannot be recorded says it was applied (not retryable)", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    const err = await runSteps([new AuditStep(log)], op("delete", "db/url"), async () => {
      mkdirSync(join(dir, "moved"));
      // The log becomes unwritable while the change runs (after its write-ahead record).
      const { renameSync } = await import("node:fs");
      renameSync(join(dir, "audit.log"), join(dir, "moved", "audit.log"));
      mkdirSync(join(dir, "audit.log"));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as InternalError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/^delete of "db\/url" in tenant acme was applied, but its outcome could not be written to the audit log/);
    await log.close().catch(() => undefined);
  });
});
