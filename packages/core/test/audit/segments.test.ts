/**
 * Segments (docs/audit.md, "Workers"): each worker of `serve --workers N` appends to a chain of its own,
 * named by the main chain. These tests build segments as the workers do (SegmentLog), then check that
 * `verifyAuditLog` checks them as one log, that every way of removing, cutting back, rewriting or swapping
 * a segment fails with a problem naming it, that a restart continues a segment's chain, and that the
 * readers (export, incremental export) see every chain.
 */
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, FileWitness, SegmentLog, exportIncremental, exportRecords, verifyAuditLog } from "../../src/index.js";
import { record, tempDir } from "./helpers.js";

const segLines = (dir: string, name: string) =>
  readFileSync(join(dir, "audit-segments", name, "audit.log"), "utf8")
    .split("\n")
    .slice(0, -1);
const mainLines = (dir: string) => readFileSync(join(dir, "audit.log"), "utf8").split("\n").slice(0, -1);

/** A directory as `serve --workers 2` leaves it: w1 and w2 each wrote `perWorker` records, then closed (sealed, stated in the main chain). */
async function twoWorkers(perWorker: number, options = { checkpointEvery: 10 }): Promise<string> {
  const dir = tempDir();
  const main = new AuditLog(dir, options);
  await main.append(record(0)); // the chain exists before the workers open their segments, as in serve
  const segs = [await SegmentLog.open(main, "w1", options, "worker=1"), await SegmentLog.open(main, "w2", options, "worker=2")];
  for (let i = 1; i <= perWorker; i++) for (const [k, s] of segs.entries()) await s.log.append(record(i * 10 + k));
  for (const s of segs) await s.close();
  await main.close();
  return dir;
}

function copy(dir: string): string {
  const c = tempDir("pv-audit-seg-copy-");
  cpSync(dir, c, { recursive: true });
  return c;
}

describe("a directory with two workers' segments", () => {
  it("verifies as one log: every chain intact, each segment named in the main chain", async () => {
    const dir = await twoWorkers(25);
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(true);
    expect(r.segments?.map((g) => [g.segment, g.ok, g.records, g.unsignedTail])).toEqual([
      ["w1", true, 26, 0], // its open record and 25
      ["w2", true, 26, 0],
    ]);
    const statements = mainLines(dir).filter((l) => l.includes('"audit.segment"'));
    // open, one per 10 entries, close: the last one states the segment's last checkpoint
    const last = JSON.parse(statements.filter((l) => l.includes("segment=w1")).at(-1) as string) as { detail: string };
    const seg = segLines(dir, "w1");
    const lastCp = JSON.parse(seg.at(-1) as string) as { type: string; count: number; head: string };
    expect(lastCp.type).toBe("checkpoint");
    expect(last.detail).toBe(`segment=w1 count=${lastCp.count} head=${lastCp.head}`);
  });

  it("fails when a segment is deleted, naming it", async () => {
    const dir = copy(await twoWorkers(5));
    rmSync(join(dir, "audit-segments", "w2"), { recursive: true });
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(
      /^segment w2 \(audit-segments\/w2\/audit\.log\): the log was rolled back: the log ends at record 0 but the main chain \(its line \d+\) holds a signed checkpoint of \d+ entries/,
    );
  });

  it("fails when a segment is cut back with its head to an earlier checkpoint (what its own head cannot show)", async () => {
    const dir = copy(await twoWorkers(25));
    const all = segLines(dir, "w1");
    const cps = all.flatMap((l, i) => (JSON.parse(l).type === "checkpoint" ? [i] : []));
    const at = cps[1] as number;
    writeFileSync(join(dir, "audit-segments", "w1", "audit.log"), `${all.slice(0, at + 1).join("\n")}\n`);
    writeFileSync(join(dir, "audit-segments", "w1", "audit.head"), `${all[at]}\n`);
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/^segment w1 .*rolled back: the log ends at record \d+ but the main chain/);
  });

  it("fails when two segments are swapped (each chain intact, but not the one the main chain names)", async () => {
    const dir = copy(await twoWorkers(5));
    const seg = join(dir, "audit-segments");
    renameSync(join(seg, "w1"), join(seg, "tmp"));
    renameSync(join(seg, "w2"), join(seg, "w1"));
    renameSync(join(seg, "tmp"), join(seg, "w2"));
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problem).toMatch(
        /^segment w1 .*is not the one the main chain \(its line \d+\) holds a signed checkpoint for: the log was rewritten from there on \(a fork\)/,
      );
  });

  it("fails when a record of a segment is edited, naming the segment and the line", async () => {
    const dir = copy(await twoWorkers(5));
    const all = segLines(dir, "w2");
    all[2] = (all[2] as string).replace('"outcome":"ok"', '"outcome":"denied"');
    writeFileSync(join(dir, "audit-segments", "w2", "audit.log"), `${all.join("\n")}\n`);
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(/^segment w2 \(audit-segments\/w2\/audit\.log\): line 3 /);
    expect(r.firstBad.line).toBe(3);
  });

  it("fails when the main chain's statements are removed with its tail (the main chain's own head catches it)", async () => {
    const dir = copy(await twoWorkers(5));
    const all = mainLines(dir);
    writeFileSync(join(dir, "audit.log"), `${all.slice(0, 2).join("\n")}\n`);
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/were cut off \(truncated\)/);
  });

  it("each statement is sealed in the main chain at once: its head and witness hold it while the workers still run", async () => {
    const dir = tempDir();
    const witness = join(tempDir("pv-witness-"), "w.json");
    const main = new AuditLog(dir, { witness: { file: witness } });
    await main.append(record(0));
    const seg = await SegmentLog.open(main, "w1", { checkpointEvery: 10 }, "worker=1");
    for (let i = 1; i <= 25; i++) await seg.log.append(record(i));
    await seg.settled();
    const r = verifyAuditLog(dir, { witness: new FileWitness(witness), allowUnsignedTail: true });
    expect(r.ok).toBe(true);
    expect(r.unsignedTail).toBe(0); // main: every statement signed, not waiting for checkpointSeconds
    const held = JSON.parse(readFileSync(witness, "utf8")) as { checkpoint: { count: number } };
    expect(held.checkpoint.count).toBe(r.lastSeq - 1); // the witness holds the main chain's last checkpoint
    // Rolling the segment back to its first checkpoint (log and head) is caught against the statement.
    const all = segLines(dir, "w1");
    writeFileSync(join(dir, "audit-segments", "w1", "audit.log"), `${all.slice(0, 2).join("\n")}\n`);
    writeFileSync(join(dir, "audit-segments", "w1", "audit.head"), `${all[1]}\n`);
    const after = verifyAuditLog(dir, { witness: new FileWitness(witness), allowUnsignedTail: true });
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.problem).toMatch(/^segment w1 .*rolled back: the log ends at record 2 but the main chain .* of 2\d entries/);
    await seg.log.close();
    await main.close();
  });

  it("a segment never named by the main chain still verifies on its own (a worker killed before its open was stated)", async () => {
    const dir = tempDir();
    const main = new AuditLog(dir);
    await main.append(record(0));
    await main.close();
    const seg = new AuditLog(dir, { segment: "w3" });
    await seg.append(record(1));
    await seg.close();
    const r = verifyAuditLog(dir);
    expect(r).toMatchObject({ ok: true, segments: [{ segment: "w3", ok: true, records: 1 }] });
  });
});

describe("a worker restarted after a kill", () => {
  it("continues its segment's chain: the unsigned tail is sealed at open and the whole verifies", async () => {
    const dir = tempDir();
    const main = new AuditLog(dir);
    const first = await SegmentLog.open(main, "w1", {}, "worker=1 first");
    for (let i = 1; i <= 4; i++) await first.log.append(record(i));
    // Killed: nothing sealed (no close); the exit hook never ran in this process for this log.
    const before = verifyAuditLog(dir).segments?.[0];
    expect(before?.ok).toBe(false);
    if (before && !before.ok) expect(before.problem).toMatch(/^segment w1 .*is not signed: 4 entries/);
    const again = await SegmentLog.open(main, "w1", {}, "worker=1 again");
    await again.log.append(record(5));
    await again.close();
    await main.close();
    const r = verifyAuditLog(dir);
    expect(r.ok).toBe(true);
    const types = segLines(dir, "w1").map((l) => {
      const e = JSON.parse(l) as { type: string; action?: string };
      return e.type === "record" ? (e.action as string) : e.type;
    });
    expect(types).toEqual([
      "audit.segment.open",
      "checkpoint",
      "read",
      "read",
      "write",
      "read", // the dead worker's unsigned tail, continued by …
      "audit.segment.open",
      "checkpoint", // … the restart's open record, and sealed with it
      "read",
      "checkpoint",
    ]);
  });
});

describe("readers see every chain", () => {
  it("audit export merges the chains in time order; a segment's records say which segment", async () => {
    const times = [0, 2, 1, 3].map((s) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)));
    const dir = tempDir();
    const at = (i: number) => () => times[i] as Date;
    const main = new AuditLog(dir, { now: at(0) });
    await main.append(record(100));
    await main.close();
    for (const [i, seg] of [
      [1, "w1"],
      [2, "w2"],
      [3, "w1"],
    ] as const) {
      const log = new AuditLog(dir, { segment: seg, now: at(i) });
      await log.append(record(100 + i));
      await log.close();
    }
    const seen: { name: string | undefined; segment: string | undefined }[] = [];
    await exportRecords(dir, {}, (r) => void seen.push({ name: r.name, segment: r.segment }));
    expect(seen).toEqual([
      { name: "db/secret-100", segment: undefined },
      { name: "db/secret-102", segment: "w2" },
      { name: "db/secret-101", segment: "w1" },
      { name: "db/secret-103", segment: "w1" },
    ]);
  });

  it("the incremental export writes each segment to segments/<name>/ with its own cursor, and exports nothing twice", async () => {
    const dir = await twoWorkers(3);
    const out = tempDir("pv-audit-seg-export-");
    const main = new AuditLog(dir);
    const first = await exportIncremental(main, { dir: out });
    expect(first.segments?.map((g) => [g.segment, g.file?.records])).toEqual([
      ["w1", 4],
      ["w2", 4],
    ]);
    expect(readdirSync(join(out, "segments")).sort()).toEqual(["w1", "w2"]);
    expect(existsSync(join(out, "segments", "w1", "audit-export.cursor"))).toBe(true);
    const second = await exportIncremental(main, { dir: out });
    expect(second.segments?.map((g) => g.file)).toEqual([undefined, undefined]);
    await main.close();
    expect(verifyAuditLog(dir).ok).toBe(true);
  });
});
