import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../../src/index.js";
import { indexOfSeq, lines, makeLog, tampered } from "./helpers.js";

const hash = (e: object) =>
  createHash("sha256")
    .update(canonicalize(e) as string)
    .digest("hex");

describe("audit verify on a 10,000-record log", () => {
  let dir: string;
  let all: string[];
  beforeAll(async () => {
    dir = await makeLog(10_000);
    all = lines(dir);
  }, 60_000);

  it("verifies untouched: every record, a checkpoint every 100 entries, nothing unsigned", () => {
    const r = verifyAuditLog(dir);
    expect(r).toMatchObject({ ok: true, records: 10_000, unsignedTail: 0, pruned: 0 });
    expect(r.checkpoints).toBeGreaterThanOrEqual(100);
    expect(r.entries).toBe(all.length);
  });

  it("edit: changing one field of record 5000 names record 5000", () => {
    const i = indexOfSeq(all, 5000);
    const copy = tampered(dir, (l) => l.map((x, j) => (j === i ? x.replace('"outcome":"ok"', '"outcome":"denied"') : x)));
    const r = verifyAuditLog(copy);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.firstBad).toEqual({ line: i + 1, seq: 5000 });
    expect(r.problem).toMatch(new RegExp(`^line ${i + 1} \\(record 5000\\) was altered`));
  });

  it("edit that recomputes every later hash (without the key) is still caught at the edited record", () => {
    const i = indexOfSeq(all, 5000);
    const copy = tampered(dir, (l) => {
      const out = [...l];
      let prev = "";
      for (let j = i; j < out.length; j++) {
        const e = JSON.parse(out[j] as string);
        if (j === i) e.actor = "someone-else";
        else e.prev = prev;
        out[j] = canonicalize(e) as string;
        prev = hash(e);
      }
      return out;
    });
    const r = verifyAuditLog(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad).toEqual({ line: i + 1, seq: 5000 });
  });

  it("edit of a checkpoint's signature names that checkpoint", () => {
    const i = all.findIndex((l, j) => j > 3000 && l.includes('"type":"checkpoint"'));
    const seq = JSON.parse(all[i] as string).seq;
    // The signature's first character swapped for another (a fixed "A" left one signature in 64 as it was).
    const edited = (all[i] as string).replace(/"sig":"(.)/, (_m, c: string) => `"sig":"${c === "A" ? "B" : "A"}`);
    expect(edited).not.toBe(all[i]);
    const copy = tampered(dir, (l) => l.map((x, j) => (j === i ? edited : x)));
    const r = verifyAuditLog(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad).toEqual({ line: i + 1, seq });
  });

  it("delete: removing record 5000 names record 5000 (its line now holds 5001)", () => {
    const i = indexOfSeq(all, 5000);
    const r = verifyAuditLog(tampered(dir, (l) => l.filter((_, j) => j !== i)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.firstBad).toEqual({ line: i + 1, seq: 5000 });
    expect(r.problem).toMatch(/record 5000\) is missing \(deleted, or records reordered\): line \d+ holds record 5001 instead/);
  });

  it("reorder: swapping records 5000 and 5001 names record 5000's place", () => {
    const i = indexOfSeq(all, 5000);
    const r = verifyAuditLog(
      tampered(dir, (l) => {
        const out = [...l];
        [out[i], out[i + 1]] = [out[i + 1] as string, out[i] as string];
        return out;
      }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad).toEqual({ line: i + 1, seq: 5000 });
  });

  it("insert: a copy of an earlier genuine record before record 5000 names the inserted line", () => {
    const i = indexOfSeq(all, 5000);
    const r = verifyAuditLog(tampered(dir, (l) => [...l.slice(0, i), all[indexOfSeq(all, 10)] as string, ...l.slice(i)]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.firstBad).toEqual({ line: i + 1, seq: 5000 });
    expect(r.problem).toMatch(/holds record 10 again/);
  });

  it("insert: a forged record that fits the chain (right seq and prev) names the inserted line", () => {
    const i = indexOfSeq(all, 5000);
    const before = JSON.parse(all[i - 1] as string);
    const forged = { ...JSON.parse(all[i] as string), actor: "intruder", prev: hash(before) };
    const r = verifyAuditLog(tampered(dir, (l) => [...l.slice(0, i), canonicalize(forged) as string, ...l.slice(i)]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad.line).toBe(i + 1);
  });

  it("truncate past the last checkpoint: names the first missing record", () => {
    const keep = indexOfSeq(all, 7000) + 1;
    const r = verifyAuditLog(tampered(dir, (l) => l.slice(0, keep)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.firstBad).toEqual({ line: keep + 1, seq: 7001 });
    expect(r.problem).toMatch(/the log ends at record 7000 .*\(truncated\)/);
  });

  it("truncate in the middle of a line names that line", () => {
    const text = `${all.join("\n")}\n`;
    const r = verifyAuditLog(tampered(dir, () => text.slice(0, Math.floor(text.length / 2))));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/is not a JSON object|has no line end/);
  });

  it("truncate and delete audit.head as well: still refused", () => {
    const copy = tampered(dir, (l) => l.slice(0, 5000));
    rmSync(join(copy, "audit.head"));
    const r = verifyAuditLog(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/audit.head is missing/);
  });

  it("append a record without the key: caught (its MAC), even once a later checkpoint covers it", () => {
    const last = JSON.parse(all[all.length - 1] as string);
    const forged = { ...JSON.parse(all[all.length - 2] as string), seq: last.seq + 1, prev: hash(last), actor: "intruder" };
    const r = verifyAuditLog(tampered(dir, (l) => [...l, canonicalize(forged) as string]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad).toEqual({ line: all.length + 1, seq: last.seq + 1 });
  });

  it("a different signing key (keys swapped) fails at the first record", () => {
    const copy = tampered(dir, (l) => l);
    rmSync(join(copy, "keys", "audit-signing.key"));
    const r = verifyAuditLog(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/signing key .* is missing/);
  });

  it("edit: a member that holds a lone surrogate (escaped, valid JSON) is a line not in canonical form, reported, not thrown", () => {
    const i = indexOfSeq(all, 4000);
    for (const edit of [
      (x: string) => x.replace('"outcome":"ok"', '"outcome":"\\ud800"'),
      (x: string) => x.replace('"outcome":"ok"', '"outcome":"ok","\\udc00":"x"'),
    ]) {
      const copy = tampered(dir, (l) => l.map((x, j) => (j === i ? edit(x) : x)));
      expect(lines(copy)[i]).toMatch(/\\ud[8c]00/);
      const r = verifyAuditLog(copy);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.firstBad).toEqual({ line: i + 1, seq: 4000 });
      expect(r.problem).toMatch(new RegExp(`^line ${i + 1} \\(record 4000\\) is not in canonical form`));
    }
  });
});
