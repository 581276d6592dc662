/**
 * `audit verify --file F` on a tampered export (docs/audit.md, "Scheduled export"): a changed byte, a
 * dropped record, reordered records, a file truncated (mid-line, at a line, back to an earlier checkpoint
 * with its trailer kept), a signature swapped, another key: each exits 6 with the exact message, and the
 * check changes nothing.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "@polyvault/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, sandbox } from "./helpers.js";

async function appendRecords(home: string, from: number, count: number): Promise<void> {
  const log = new AuditLog(home, { checkpointEvery: 100 });
  await Promise.all(
    Array.from({ length: count }, (_, i) => log.append({ actor: "alice", tenant: "acme", action: "read", name: `s/${from + i}`, outcome: "ok" })),
  );
  await log.close();
}

describe("audit verify --file on a tampered export", () => {
  const sb = sandbox();
  const out = join(sb.cwd, "exports");
  const scratch = mkdtempSync(join(tmpdir(), "pv-tamper-"));
  let lines: string[]; // the second export's lines, trailer last
  let firstTrailer: string;
  const elsewhere = sandbox(); // another machine: only the public key
  const pub = join(sb.cwd, "audit.pub");
  const parsed = (i: number) => JSON.parse(lines[i] as string) as { seq: number; type: string; sig?: string };
  /** 0-based index of a record line followed by another record. */
  const recordAt = (from: number) => {
    for (let i = from; i < lines.length - 2; i++) if (parsed(i).type === "record" && parsed(i + 1).type === "record") return i;
    throw new Error("no record");
  };
  let n = 0;
  const verify = (text: string, args: string[] = [], where = sb): { r: CliResult; path: string } => {
    const path = join(scratch, `t${n++}.ndjson`);
    writeFileSync(path, text);
    const r = cli(where, ["audit", "verify", "--file", path, ...args]);
    expect(readFileSync(path, "utf8")).toBe(text); // checked, not changed
    return { r, path };
  };
  const expectBad = (v: { r: CliResult; path: string }, message: string) => {
    expect(v.r.code).toBe(6);
    expect(v.r.stderr).toBe(`polyvault: INTEGRITY: audit export ${v.path}: ${message}\n`);
    expect(v.r.out).toBe("");
  };
  const join1 = (ls: string[]) => `${ls.join("\n")}\n`;

  beforeAll(async () => {
    await appendRecords(sb.home, 0, 250);
    expect(cli(sb, ["audit", "export", "--incremental", "--dir", out]).code).toBe(0);
    await appendRecords(sb.home, 250, 350);
    const r = cli(sb, ["audit", "export", "--incremental", "--dir", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const files = JSON.parse(r.out) as { file: { name: string } };
    lines = readFileSync(join(out, files.file.name), "utf8").trimEnd().split("\n");
    const names = readdirSync(out)
      .filter((f) => f.endsWith(".ndjson"))
      .sort();
    firstTrailer = readFileSync(join(out, names[0] as string), "utf8")
      .trimEnd()
      .split("\n")
      .pop() as string;
    writeFileSync(pub, cli(sb, ["audit", "public-key"]).out);
  });

  it("the untouched file verifies (exit 0)", () => {
    const v = verify(join1(lines));
    expect(v.r.code, v.r.stderr).toBe(0);
    expect(v.r.out).toMatch(/: intact\n {2}entries \d+–\d+: 35\d record\(s\), \d+ signed checkpoint\(s\), every record's MAC checked\n/);
  });

  it("a changed byte: the record's MAC with the private key; the chain with the public key alone", () => {
    const i = recordAt(10);
    const seq = parsed(i).seq;
    const edited = lines.map((l, j) => (j === i ? l.replace('"actor":"alice"', '"actor":"alicf"') : l));
    expectBad(verify(join1(edited)), `line ${i + 1} (record ${seq}) was altered, or written without the audit key: its MAC does not match`);
    expectBad(
      verify(join1(edited), ["--public-key", pub], elsewhere),
      `line ${i + 1} (record ${seq}) was altered: its hash no longer matches the one record ${seq + 1} (line ${i + 2}) carries`,
    );
  });

  it("a dropped record", () => {
    const i = recordAt(20);
    const seq = parsed(i).seq;
    expectBad(
      verify(join1(lines.filter((_, j) => j !== i))),
      `line ${i + 1} (record ${seq}) is missing (deleted, or records reordered): line ${i + 1} holds record ${seq + 1} instead`,
    );
  });

  it("reordered records", () => {
    const i = recordAt(30);
    const seq = parsed(i).seq;
    const swapped = [...lines];
    [swapped[i], swapped[i + 1]] = [lines[i + 1] as string, lines[i] as string];
    expectBad(
      verify(join1(swapped), ["--public-key", pub], elsewhere),
      `line ${i + 1} (record ${seq}) holds record ${seq + 1}, ahead of its place: records reordered, or this one inserted (the next line continues the chain)`,
    );
  });

  it("truncated: in the middle of a line, at a line, back to an earlier checkpoint with the trailer kept", () => {
    const text = join1(lines);
    const cut = text.length - (lines.at(-1) as string).length - 40; // inside the closing checkpoint's line
    expectBad(verify(text.slice(0, cut)), `line ${lines.length - 1} has no line end: the export was cut short, or its last line edited`);
    const i = recordAt(40);
    expectBad(verify(join1(lines.slice(0, i + 1))), `line ${i + 1} is not the export's signed trailer: the export was cut short, or its last line edited`);
    const c = lines.findIndex((_, j) => j > 0 && j < lines.length - 2 && parsed(j).type === "checkpoint");
    const t = JSON.parse(lines.at(-1) as string) as { first: number; last: number; records: number };
    const kept = lines.slice(1, c + 1).filter((l) => JSON.parse(l).type === "record").length;
    expectBad(
      verify(join1([...lines.slice(0, c + 1), lines.at(-1) as string])),
      `line ${c + 2} (the trailer) vouches for entries ${t.first}–${t.last} (${t.records} records), but the file holds entries ${t.first}–${parsed(c).seq} (${kept} records): the export was cut, or entries removed`,
    );
  });

  it("a signature swapped: the closing checkpoint's, the trailer's", () => {
    const closing = lines.length - 2;
    const other = lines.findIndex((_, j) => j > 0 && j < closing && parsed(j).type === "checkpoint");
    const swapped = lines.map((l, j) => (j === closing ? l.replace(parsed(closing).sig as string, parsed(other).sig as string) : l));
    expectBad(verify(join1(swapped)), `line ${closing + 1} (record ${parsed(closing).seq}) is a checkpoint whose signature does not match (edited or forged)`);
    const trailerSig = (l: string) => (JSON.parse(l) as { sig: string }).sig;
    const t = lines.map((l, j) => (j === lines.length - 1 ? l.replace(trailerSig(l), trailerSig(firstTrailer)) : l));
    expectBad(verify(join1(t)), `line ${lines.length} (the trailer) does not carry a valid signature by the audit key (edited, or its signature swapped)`);
  });

  it("checked against another installation's key; --json names the first bad line", async () => {
    const other = sandbox();
    await appendRecords(other.home, 0, 1);
    expectBad(verify(join1(lines), [], other), "is signed with another key than the audit key it is checked against (the trailer names another public key)");
    const i = recordAt(10);
    const v = verify(join1(lines.filter((_, j) => j !== i)), ["--json"]);
    expect(v.r.code).toBe(6);
    expect(JSON.parse(v.r.out)).toMatchObject({ ok: false, firstBad: { line: i + 1, seq: parsed(i).seq }, error: { code: "INTEGRITY" } });
  });

  it("a JSON export (--format json): verifies, and a changed byte names its line; a missing file is exit 3", () => {
    const dir = join(sb.cwd, "json-exports");
    const r = cli(sb, ["audit", "export", "--incremental", "--dir", dir, "--format", "json", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const path = join(dir, (JSON.parse(r.out) as { file: { name: string } }).file.name);
    const text = readFileSync(path, "utf8");
    expect(cli(sb, ["audit", "verify", "--file", path]).code).toBe(0);
    const jl = text.split("\n");
    const k = jl.findIndex((l, j) => j > 5 && l.includes('"type":"record"'));
    const seq = (JSON.parse(jl[k]?.replace(/,$/, "") as string) as { seq: number }).seq;
    jl[k] = (jl[k] as string).replace('"actor":"alice"', '"actor":"alicf"');
    expectBad(verify(jl.join("\n")), `line ${k + 1} (record ${seq}) was altered, or written without the audit key: its MAC does not match`);
    const missing = cli(sb, ["audit", "verify", "--file", join(dir, "nope.ndjson")]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(`polyvault: NOT_FOUND: export file ${join(dir, "nope.ndjson")} does not exist\n`);
  });
});
