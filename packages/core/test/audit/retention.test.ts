import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, verifyAuditLog } from "../../src/index.js";
import { lines, record, tempDir } from "./helpers.js";

const DAY = 86_400_000;

/** A log with `old` records written 400 days ago and `recent` records written today. */
async function agedLog(old: number, recent: number): Promise<{ dir: string; now: Date }> {
  const dir = tempDir();
  const start = Date.parse("2024-01-01T00:00:00Z");
  let clock = start;
  const log = new AuditLog(dir, { checkpointEvery: 4, retentionDays: 100_000, now: () => new Date(clock) });
  for (let i = 1; i <= old; i++) await log.append(record(i));
  await log.checkpoint();
  clock = start + 400 * DAY;
  for (let i = old + 1; i <= old + recent; i++) await log.append(record(i));
  await log.close();
  return { dir, now: new Date(clock) };
}

describe("audit retention", () => {
  it("prunes records older than retentionDays behind a signed anchor; the rest still verifies", async () => {
    const { dir, now } = await agedLog(10, 6);
    const before = lines(dir);
    const log = new AuditLog(dir, { retentionDays: 365 });
    const r = await log.prune({ now });
    await log.close();
    expect(r.pruned).toBeGreaterThan(10); // the 10 old records and their checkpoints
    const after = lines(dir);
    const first = JSON.parse(after[0] as string);
    expect(first).toMatchObject({ type: "anchor", count: r.pruned });
    expect(after.slice(1)).toEqual(before.slice(r.pruned));
    const v = verifyAuditLog(dir);
    expect(v).toMatchObject({ ok: true, records: 6, pruned: r.pruned });
    expect(after.slice(1).every((l) => Date.parse(JSON.parse(l).time) >= now.getTime() - 365 * DAY)).toBe(true);
  });

  it("after pruning, tampering is still detected, and a forged anchor is refused", async () => {
    const { dir, now } = await agedLog(10, 6);
    const log = new AuditLog(dir, { retentionDays: 365 });
    await log.prune({ now });
    await log.close();
    const text = readFileSync(join(dir, "audit.log"), "utf8");
    writeFileSync(
      join(dir, "audit.log"),
      text.replace(/"count":(\d+)/, (_, n) => `"count":${Number(n) - 1}`),
    );
    const v = verifyAuditLog(dir);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v).toMatchObject({ firstBad: { line: 1 } });
    if (!v.ok) expect(v.problem).toMatch(/anchor whose signature does not match/);
    const dropped = text
      .split("\n")
      .filter((_, i) => i !== 1)
      .join("\n");
    writeFileSync(join(dir, "audit.log"), dropped);
    const v2 = verifyAuditLog(dir);
    expect(v2.ok).toBe(false);
    if (!v2.ok) expect(v2.firstBad.line).toBe(2);
  });

  it("prunes nothing when nothing is old enough, and never prunes a log that does not verify", async () => {
    const { dir, now } = await agedLog(10, 6);
    const log = new AuditLog(dir, { retentionDays: 500 });
    expect(await log.prune({ now })).toEqual({ pruned: 0 });
    const all = lines(dir);
    writeFileSync(join(dir, "audit.log"), `${all.filter((_, i) => i !== 3).join("\n")}\n`);
    const tampered = readFileSync(join(dir, "audit.log"), "utf8");
    const short = new AuditLog(dir, { retentionDays: 30 });
    const r = await short.prune({ now });
    expect(r.pruned).toBe(0);
    expect(r.skipped).toMatch(/line 4 \(record 4\) is missing/);
    expect(readFileSync(join(dir, "audit.log"), "utf8")).toBe(tampered);
    await Promise.all([log.close(), short.close()]);
  });

  it("close() prunes once the oldest record is a day past retention; the log then keeps growing and verifying", async () => {
    const { dir } = await agedLog(10, 0);
    const log = new AuditLog(dir, { retentionDays: 365 });
    await log.append(record(99));
    await log.close();
    const first = JSON.parse(lines(dir)[0] as string);
    expect(first.type).toBe("anchor");
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 1 });
    const again = new AuditLog(dir);
    await again.append(record(100));
    await again.close();
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 2 });
  });
});
