/**
 * Incremental audit export (docs/audit.md, "Scheduled export"): runs between appends cover the log with no
 * gap and no duplicate; each file verifies alone; the on-disk states a killed run can leave (a temporary
 * file, an export file whose cursor was not written, a lost cursor) resume without a duplicate.
 */
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, CURSOR_FILE, exportIncremental, exportRecords, loadSigningKey, verifyExportFile } from "../../src/index.js";
import { record, tempDir } from "./helpers.js";

async function append(dir: string, from: number, count: number, options = { checkpointEvery: 50 }) {
  const log = new AuditLog(dir, options);
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(record(from + i))));
  await log.close();
}

async function run(dir: string, out: string, format: "ndjson" | "json" = "ndjson", now?: () => Date) {
  const log = new AuditLog(dir, { checkpointEvery: 50, retentionDays: 100_000, ...(now ? { now } : {}) });
  try {
    await log.append({ actor: "op", action: "audit.export", outcome: "started" });
    return await exportIncremental(log, { dir: out, format });
  } finally {
    await log.close();
  }
}

/** The records of the export files, in name order. */
function exportedRecords(out: string): string[] {
  const recs: string[] = [];
  for (const name of readdirSync(out)
    .filter((n) => /^audit-\d+-\d+\.(nd)?json$/.test(n))
    .sort()) {
    const text = readFileSync(join(out, name), "utf8");
    const lines = text.startsWith("[") ? (JSON.parse(text) as object[]).map((e) => JSON.stringify(e)) : text.split("\n").slice(0, -1);
    for (const l of lines) if ((JSON.parse(l) as { type: string }).type === "record") recs.push(l);
  }
  return recs;
}

async function wholeLog(dir: string, upToSeq: number): Promise<string[]> {
  const recs: string[] = [];
  await exportRecords(dir, {}, (r) => {
    if (r.seq <= upToSeq) recs.push(JSON.stringify(r));
  });
  return recs;
}

function keysOf(dir: string) {
  const k = loadSigningKey(dir);
  if (!k) throw new Error("no key");
  return { publicKey: k.publicKey, macKey: k.macKey };
}

describe("exportIncremental", () => {
  it.each(["ndjson", "json"] as const)("runs between appends: no gap, no duplicate, each file verifies alone (%s)", async (format) => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    let n = 1;
    for (const count of [120, 1, 0, 77]) {
      await append(dir, n, count);
      n += count;
      const r = await run(dir, out, format);
      expect(r.file).toBeDefined();
      expect(r.rejected).toEqual([]);
    }
    const files = readdirSync(out).filter((f) => f.endsWith(`.${format}`));
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(verifyExportFile(join(out, f), keysOf(dir))).toMatchObject({ ok: true, keyPinned: true, macsChecked: true });
      expect(verifyExportFile(join(out, f))).toMatchObject({ ok: true, keyPinned: false, macsChecked: false }); // the public key in the file alone
    }
    const cursor = JSON.parse(readFileSync(join(out, CURSOR_FILE), "utf8")) as { seq: number };
    const got = exportedRecords(out);
    expect(got).toEqual(await wholeLog(dir, cursor.seq));
    expect(got.length).toBe(198 + 4); // and each run's own "started" record
  });

  it.each(["ndjson", "json"] as const)("an entry edited to hold an escaped lone surrogate is reported, not thrown (%s)", async (format) => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 10);
    const file = (await run(dir, out, format)).file?.name as string;
    const path = join(out, file);
    const text = readFileSync(path, "utf8");
    expect(text).toContain('"outcome":"ok"');
    writeFileSync(path, text.replace('"outcome":"ok"', '"outcome":"\\ud800"'));
    const r = verifyExportFile(path, keysOf(dir));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(
      format === "json" ? /^holds an entry \(element \d+\) that has no canonical JSON form/ : /^line \d+ \(record \d+\) is not in canonical form/,
    );
  });

  it("a killed run's temporary file is removed; an export file whose cursor was not written is adopted, not written again", async () => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 60);
    await run(dir, out);
    const cursorBefore = readFileSync(join(out, CURSOR_FILE), "utf8");
    await append(dir, 61, 30);
    const second = await run(dir, out);
    // As if killed after the rename and before the cursor: the cursor still names the first export.
    writeFileSync(join(out, CURSOR_FILE), cursorBefore);
    writeFileSync(join(out, ".audit-export-999-deadbeef.tmp"), '{"v":1,"type":"record"');
    await append(dir, 91, 5);
    const third = await run(dir, out);
    expect(third.adopted).toBe(second.file?.name);
    expect(third.file?.first).toBe((second.file?.last ?? 0) + 1);
    expect(existsSync(join(out, ".audit-export-999-deadbeef.tmp"))).toBe(false);
    const cursor = JSON.parse(readFileSync(join(out, CURSOR_FILE), "utf8")) as { seq: number };
    expect(exportedRecords(out)).toEqual(await wholeLog(dir, cursor.seq));
  });

  it("a lost cursor resumes after the newest export file that verifies; one past the cursor that does not verify is moved aside", async () => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 40);
    const first = await run(dir, out);
    const cursorBefore = readFileSync(join(out, CURSOR_FILE), "utf8");
    await append(dir, 41, 40);
    const second = await run(dir, out);
    const name = second.file?.name as string;
    const copy = tempDir();
    cpSync(out, copy, { recursive: true });
    // Lost cursor: resumes after the second file.
    writeFileSync(join(out, CURSOR_FILE), "");
    await expect(run(dir, out)).rejects.toThrow(/is not an audit export cursor/);
    (await import("node:fs")).unlinkSync(join(out, CURSOR_FILE));
    const third = await run(dir, out);
    expect(third.adopted).toBe(name);
    expect(third.file?.first).toBe((second.file?.last ?? 0) + 1);
    // An export past the cursor that was edited: moved aside, and the range written anew.
    writeFileSync(join(copy, CURSOR_FILE), cursorBefore);
    const text = readFileSync(join(copy, name), "utf8");
    writeFileSync(join(copy, name), text.replace('"actor":"user-1"', '"actor":"user-2"'));
    const again = await run(dir, copy);
    expect(again.rejected).toEqual([name]);
    expect(again.file?.first).toBe((first.file?.last ?? 0) + 1);
    expect(readdirSync(copy).some((f) => f.startsWith(`${name}.rejected-`))).toBe(true);
  });

  it("refuses to export when the log no longer holds the checkpoint the last export ended with (a new chain)", async () => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 10);
    await run(dir, out);
    const other = tempDir();
    await append(other, 1, 30);
    await expect(run(other, out)).rejects.toThrow(/no longer continues the last export, which ended at record \d+: its record \d+ differs/);
  });

  it("two runs at once (one lock per directory): contiguous files, no duplicate", async () => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 200);
    const [a, b] = await Promise.all([run(dir, out), run(dir, out)]);
    // The first run's checkpoint sealed both "started" records: the second finds nothing new, or its own.
    expect([a.file, b.file].filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp") || f.includes(".rejected-"))).toEqual([]);
    const cursor = JSON.parse(readFileSync(join(out, CURSOR_FILE), "utf8")) as { seq: number };
    expect(exportedRecords(out)).toEqual(await wholeLog(dir, cursor.seq));
  });

  it("a pruned log: the first export starts at its anchor; a log pruned past the cursor is refused (a gap)", async () => {
    const DAY = 86_400_000;
    const dir = tempDir();
    let clock = Date.parse("2024-01-01T00:00:00Z");
    const old = new AuditLog(dir, { checkpointEvery: 4, retentionDays: 100_000, now: () => new Date(clock) });
    for (let i = 1; i <= 10; i++) await old.append(record(i));
    await old.close();
    const out = join(tempDir(), "exports");
    const early = join(tempDir(), "early");
    await run(dir, early, "ndjson", () => new Date(clock)); // exported up to here, then pruned past it
    const more = new AuditLog(dir, { checkpointEvery: 4, retentionDays: 100_000, now: () => new Date(clock) });
    for (let i = 100; i <= 105; i++) await more.append(record(i)); // never exported to `early`
    await more.close();
    clock += 400 * DAY;
    const recent = new AuditLog(dir, { retentionDays: 365, now: () => new Date(clock) });
    await recent.append(record(11));
    await recent.checkpoint();
    expect((await recent.prune({ now: new Date(clock) })).pruned).toBeGreaterThan(10);
    await recent.close();
    const first = await run(dir, out);
    const lines0 = readFileSync(join(out, first.file?.name as string), "utf8").split("\n");
    expect(JSON.parse(lines0[0] as string)).toMatchObject({ type: "anchor" });
    expect(verifyExportFile(join(out, first.file?.name as string), keysOf(dir))).toMatchObject({ ok: true });
    await expect(run(dir, early)).rejects.toThrow(/no longer continues the last export, which ended at record \d+: records up to \d+ were pruned/);
  });

  it("reads the log from the cursor's offset when its line is there, else from the start", async () => {
    const dir = tempDir();
    const out = join(tempDir(), "exports");
    await append(dir, 1, 30);
    await run(dir, out);
    const cursor = JSON.parse(readFileSync(join(out, CURSOR_FILE), "utf8")) as { offset: number; line: string };
    const log = readFileSync(join(dir, "audit.log"));
    expect(log.subarray(cursor.offset, cursor.offset + Buffer.byteLength(cursor.line) + 1).toString()).toBe(`${cursor.line}\n`);
    await append(dir, 31, 10);
    // A line before the cursor made unreadable: only a run that reads from the start sees it.
    const text = readFileSync(join(dir, "audit.log"), "utf8");
    const i = text.indexOf("\n") + 1;
    const copy = tempDir();
    cpSync(dir, copy, { recursive: true });
    writeFileSync(join(copy, "audit.log"), `${text.slice(0, i)}#${text.slice(i + 1)}`);
    const outCopy = join(tempDir(), "exports");
    cpSync(out, outCopy, { recursive: true });
    const withOffset = await run(copy, outCopy);
    expect(withOffset.file?.records).toBe(10 + 1);
    writeFileSync(join(out, CURSOR_FILE), JSON.stringify({ ...JSON.parse(readFileSync(join(out, CURSOR_FILE), "utf8")), offset: 3 }));
    writeFileSync(join(dir, "audit.log"), `${text.slice(0, i)}#${text.slice(i + 1)}`);
    await expect(run(dir, out)).rejects.toThrow(/audit\.log holds a line that is not JSON before the last export's end; nothing was exported/);
  });
});
