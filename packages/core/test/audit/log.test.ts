import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_FIELD_MAX, AuditLog, IntegrityError, InvalidInputError, UnavailableError, clipAuditText, verifyAuditLog } from "../../src/index.js";
import { lines, makeLog, record, tempDir } from "./helpers.js";

const mode = (p: string) => statSync(p).mode & 0o777;
const types = (dir: string) =>
  lines(dir)
    .map((l) => (JSON.parse(l) as { type: string }).type[0])
    .join("");

describe("AuditLog writing", () => {
  it("creates the log and head 0600 and the signing key 0600 in keys/ (0700); records carry no unknown fields", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await log.append({ ...record(1), value: "CANARY-VALUE-1" } as never);
    await log.close();
    expect(mode(join(dir, "audit.log"))).toBe(0o600);
    expect(mode(join(dir, "audit.head"))).toBe(0o600);
    expect(mode(join(dir, "keys", "audit-signing.key"))).toBe(0o600);
    expect(mode(join(dir, "keys"))).toBe(0o700);
    expect(readFileSync(join(dir, "audit.log"), "utf8")).not.toContain("CANARY-VALUE-1");
    const r = JSON.parse(lines(dir)[0] as string);
    expect(Object.keys(r).sort()).toEqual(["action", "actor", "mac", "name", "outcome", "prev", "provider", "requestId", "seq", "tenant", "time", "type", "v"]);
    expect(r).toMatchObject({ seq: 1, prev: "0".repeat(64), type: "record", v: 1 });
  });

  it("refuses a record without actor, action or outcome, or with a non-string field", async () => {
    const log = new AuditLog(tempDir());
    await expect(log.append({ actor: "", action: "read", outcome: "ok" })).rejects.toThrow(InvalidInputError);
    await expect(log.append({ actor: "a", action: "read" } as never)).rejects.toThrow(/needs actor, action and outcome/);
    await expect(log.append({ actor: "a", action: "read", outcome: "ok", name: 5 } as never)).rejects.toThrow(/field name must be a string/);
    await log.close();
    expect(existsSync(join(log.dataDir, "audit.log"))).toBe(false);
  });

  it("a field cut inside a character's surrogate pair is kept with U+FFFD, and fails neither its record nor those batched with it", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    const cut = `${"x".repeat(20)}\ud83d`; // "🔑" cut after its high surrogate
    const seqs = await Promise.all([log.append(record(1)), log.append({ ...record(2), reason: cut, detail: "\udc00tail" }), log.append(record(3))]);
    await log.close();
    expect(seqs).toEqual([1, 2, 3]);
    const r = JSON.parse(lines(dir)[1] as string) as { reason: string; detail: string };
    expect(r.reason).toBe(`${"x".repeat(20)}\ufffd`);
    expect(r.detail).toBe("\ufffdtail");
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 3 });
  });

  it("clipAuditText cuts to 512 with '...', never inside a surrogate pair", () => {
    expect(clipAuditText("short")).toBe("short");
    expect(clipAuditText("y".repeat(512))).toBe("y".repeat(512));
    const plain = clipAuditText("y".repeat(600));
    expect(plain).toBe(`${"y".repeat(509)}...`);
    const pair = clipAuditText(`${"y".repeat(508)}🔑${"z".repeat(100)}`); // the pair at units 508–509: cut before it
    expect(pair).toBe(`${"y".repeat(508)}...`);
    expect(pair.isWellFormed()).toBe(true);
    const whole = clipAuditText(`${"y".repeat(507)}🔑${"z".repeat(100)}`); // the pair at 507–508: kept whole
    expect(whole).toBe(`${"y".repeat(507)}🔑...`);
    expect(whole.length).toBeLessThanOrEqual(AUDIT_FIELD_MAX);
  });

  it("signs a checkpoint every N entries and at close", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir, { checkpointEvery: 3 });
    for (let i = 1; i <= 7; i++) await log.append(record(i));
    await log.close();
    expect(types(dir)).toBe("rrrcrrrcrc");
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 7, checkpoints: 3 });
  });

  it("signs a checkpoint when the last one is checkpointSeconds old (timer, no close)", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir, { checkpointSeconds: 1 });
    await log.append(record(1));
    await log.append(record(2));
    expect(types(dir)).toBe("rr");
    // Wait for the event (the timer's checkpoint), not for a guessed time: the test's timeout bounds it.
    while (types(dir) !== "rrc") await new Promise((r) => setTimeout(r, 50));
    // Then until that checkpoint is over 1 s old, by its own signed time.
    const sealedAt = Date.parse((JSON.parse(lines(dir).at(-1) as string) as { time: string }).time);
    while (Date.now() - sealedAt <= 1_000) await new Promise((r) => setTimeout(r, 50));
    await log.append(record(3)); // the last checkpoint is over 1 s old: this append is sealed at once
    expect(types(dir)).toBe("rrcrc");
    expect(verifyAuditLog(dir).ok).toBe(true);
    await log.close();
  });

  it("an unsigned tail fails verify (unless allowed) until the next writer seals it", async () => {
    const dir = tempDir();
    const a = new AuditLog(dir, { checkpointSeconds: 3600 });
    await a.append(record(1));
    await a.close();
    const b = new AuditLog(dir, { checkpointSeconds: 3600 });
    await b.append(record(2));
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r).toMatchObject({ firstBad: { line: 3, seq: 3 }, unsignedTail: 1 });
    expect(verifyAuditLog(dir, { allowUnsignedTail: true })).toMatchObject({ ok: true, unsignedTail: 1 });
    await b.close();
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 2, unsignedTail: 0 });
  });

  it("two logs on one directory in one process interleave into one valid chain", async () => {
    const dir = tempDir();
    const a = new AuditLog(dir, { checkpointEvery: 7 });
    const b = new AuditLog(dir, { checkpointEvery: 5 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).append(record(i))));
    await Promise.all([a.close(), b.close()]);
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 200 });
  });
});

describe("AuditLog fails closed", () => {
  it("a directory in place of audit.log: append rejects (EISDIR) and nothing is written", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "audit.log"));
    const log = new AuditLog(dir);
    const err = await log.append(record(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/audit log .*audit.log cannot be written \(EISDIR\); the operation is refused/);
    expect(existsSync(join(dir, "audit.head"))).toBe(false);
  });

  it("a full disk (audit.log → /dev/full): append rejects with ENOSPC", async () => {
    const dir = tempDir();
    symlinkSync("/dev/full", join(dir, "audit.log"));
    const log = new AuditLog(dir);
    await expect(log.append(record(1))).rejects.toThrow(/cannot be written \(ENOSPC\)/);
  });

  it("refuses to extend a log truncated behind its signed head, and leaves it as it was", async () => {
    const dir = await makeLog(300);
    const cut = `${lines(dir).slice(0, 150).join("\n")}\n`;
    writeFileSync(join(dir, "audit.log"), cut);
    const log = new AuditLog(dir);
    await expect(log.append(record(1))).rejects.toThrow(IntegrityError);
    await expect(log.append(record(1))).rejects.toThrow(/was truncated; appends are refused/);
    expect(readFileSync(join(dir, "audit.log"), "utf8")).toBe(cut);
  });

  it("refuses to extend a log whose last line is incomplete", async () => {
    const dir = await makeLog(10);
    const text = readFileSync(join(dir, "audit.log"), "utf8");
    writeFileSync(join(dir, "audit.log"), text.slice(0, -20));
    await expect(new AuditLog(dir).append(record(1))).rejects.toThrow(/ends with an incomplete line/);
    expect(readFileSync(join(dir, "audit.log"), "utf8")).toBe(text.slice(0, -20));
  });
});

describe("AuditLog: the exit hook's seal", () => {
  const immediate = () => new Promise((r) => setImmediate(r));

  it("right after a batch (the writer letting the lock go) is quick and continues the chain", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir, { checkpointSeconds: 3600 });
    await log.append(record(1));
    await immediate();
    await immediate();
    const t = Date.now();
    log.sealSync();
    // A lock taken over as stale would take 11 s; the seal's own fsync can take seconds on a loaded machine.
    expect(Date.now() - t).toBeLessThan(8_000);
    expect(types(dir)).toBe("rc");
    await log.append(record(2));
    await log.close();
    expect((await verifyAuditLog(dir)).ok).toBe(true);
    expect(types(dir)).toBe("rcrc");
  });
});
