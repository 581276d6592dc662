/**
 * Issue 15 finding 4: rollback, erasure, a replaced signing key, and edits the checkpoint signature did
 * not cover (its `time`, an extra field, CRLF line ends). Each case is a regression test that passed
 * (the tamper went unnoticed) on the code before the fix.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { AuditLog, FileWitness, IntegrityError, verifyAuditLog } from "../../src/index.js";
import { lines, record, tempDir } from "./helpers.js";

/** A closed log of `count` records with a checkpoint every 10 entries, witnessed by a file outside it. */
async function witnessed(count: number): Promise<{ dir: string; witness: string }> {
  const dir = tempDir();
  const witness = join(tempDir("pv-witness-"), "audit-witness.json");
  const log = new AuditLog(dir, { checkpointEvery: 10, witness: { file: witness } });
  for (let i = 1; i <= count; i++) await log.append(record(i));
  await log.close();
  return { dir, witness };
}

const checkpointLines = (all: string[]) => all.flatMap((l, i) => (JSON.parse(l).type === "checkpoint" ? [i] : []));

/** The log cut back to (and including) its `k`-th checkpoint, that checkpoint copied into audit.head; its seq. */
function rollBack(dir: string, k: number): number {
  const all = lines(dir);
  const at = checkpointLines(all)[k] as number;
  writeFileSync(join(dir, "audit.log"), `${all.slice(0, at + 1).join("\n")}\n`);
  writeFileSync(join(dir, "audit.head"), `${all[at]}\n`);
  return JSON.parse(all[at] as string).seq;
}

describe("rollback to an earlier checkpoint", () => {
  it("is caught against the witness: exit-6 result naming the rollback", async () => {
    const { dir, witness } = await witnessed(45);
    expect(verifyAuditLog(dir, { witness: new FileWitness(witness) })).toMatchObject({ ok: true, records: 45 });
    const seq = rollBack(dir, 1);
    expect(verifyAuditLog(dir).ok).toBe(true); // without the witness, a rollback cannot be told
    const r = verifyAuditLog(dir, { witness: new FileWitness(witness) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(new RegExp(`rolled back: the log ends at record ${seq} but the witness file .* holds a signed checkpoint of \\d+ entries`));
    expect(r.firstBad).toEqual({ line: seq + 1, seq: seq + 1 });
  });

  it("refuses the next append (fail closed) and writes nothing", async () => {
    const { dir, witness } = await witnessed(45);
    rollBack(dir, 1);
    const before = readFileSync(join(dir, "audit.log"), "utf8");
    const log = new AuditLog(dir, { witness: { file: witness } });
    await expect(log.append(record(99))).rejects.toThrow(/rolled back/);
    expect(readFileSync(join(dir, "audit.log"), "utf8")).toBe(before);
  });
});

describe("erasure of audit.log and audit.head", () => {
  it("does not verify as intact while the signing key remains", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await log.append(record(1));
    await log.close();
    rmSync(join(dir, "audit.log"));
    rmSync(join(dir, "audit.head"));
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/audit\.log is missing .*keys\/audit-signing\.key exists/);
  });

  it("the next write does not restart the chain at record 1", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await log.append(record(1));
    await log.close();
    rmSync(join(dir, "audit.log"));
    rmSync(join(dir, "audit.head"));
    const err = await new AuditLog(dir).append(record(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/refusing to start a new audit chain/);
    expect(existsSync(join(dir, "audit.log")) && readFileSync(join(dir, "audit.log"), "utf8") !== "").toBe(false);
  });

  it("is caught against the witness even when the key went too", async () => {
    const { dir, witness } = await witnessed(15);
    for (const f of ["audit.log", "audit.head", "keys/audit-signing.key"]) rmSync(join(dir, f));
    const r = verifyAuditLog(dir, { witness: new FileWitness(witness) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/rolled back: the log ends at record 0 but the witness/);
  });

  it("a new chain starts only when asked, and its first record says so", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await log.append(record(1));
    await log.close();
    rmSync(join(dir, "audit.log"));
    rmSync(join(dir, "audit.head"));
    const fresh = new AuditLog(dir, { allowNewChain: { actor: "ops", reason: "investigated incident 42" } });
    await fresh.append(record(2));
    await fresh.close();
    const first = JSON.parse(lines(dir)[0] as string);
    expect(first).toMatchObject({ seq: 1, action: "audit.new-chain", actor: "ops", reason: "investigated incident 42" });
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 2 });
  });
});

describe("a deleted signing key", () => {
  it("is not silently replaced: appends are refused and no new key is written", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    await log.append(record(1));
    await log.close();
    rmSync(join(dir, "keys/audit-signing.key"));
    const err = await new AuditLog(dir).append(record(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/audit signing key .* is missing although the log it signed exists/);
    expect(existsSync(join(dir, "keys/audit-signing.key"))).toBe(false);
  });
});

describe("edits the checkpoint signature must cover", () => {
  /** A closed 5-record log, and a copy of its last line edited by `edit` in both audit.log and audit.head. */
  async function editLastCheckpoint(edit: (e: Record<string, unknown>) => void): Promise<string> {
    const dir = tempDir();
    const log = new AuditLog(dir);
    for (let i = 1; i <= 5; i++) await log.append(record(i));
    await log.close();
    const all = lines(dir);
    const last = JSON.parse(all.at(-1) as string);
    expect(last.type).toBe("checkpoint");
    edit(last);
    const text = canonicalize(last) as string;
    writeFileSync(join(dir, "audit.log"), `${[...all.slice(0, -1), text].join("\n")}\n`);
    writeFileSync(join(dir, "audit.head"), `${text}\n`);
    return dir;
  }

  it("its time", async () => {
    const dir = await editLastCheckpoint((e) => {
      e.time = "2020-01-01T00:00:00.000Z";
    });
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/line 6 \(record 6\) is a checkpoint whose signature does not match/);
  });

  it("an extra field", async () => {
    const dir = await editLastCheckpoint((e) => {
      e.note = "nothing to see";
    });
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/line 6 \(record 6\) is not an audit entry: unexpected field "note"/);
  });

  it("CRLF line ends", async () => {
    const dir = tempDir();
    const log = new AuditLog(dir);
    for (let i = 1; i <= 5; i++) await log.append(record(i));
    await log.close();
    writeFileSync(join(dir, "audit.log"), `${lines(dir).join("\r\n")}\r\n`);
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/line 1 \(record 1\) is not in canonical form/);
  });
});
