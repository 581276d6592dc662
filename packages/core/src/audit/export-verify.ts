/**
 * `audit verify --file F`: checks an export file (export-file.ts) on its own, with the audit public key
 * (pinned: the data directory's key or one given; else the one the file names, reported as unpinned). With
 * the private key (on the gateway's host) each record's MAC is checked too; without it, the records are
 * covered by the hash chain up to the signed checkpoint that closes the segment.
 */
import { type KeyObject, createPublicKey } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { canonical, tryCanonical } from "./canonical.js";
import { diagnose } from "./diagnose.js";
import { type ExportTrailer, TRAILER_MEMBERS, feedSegment, newSegment, trailerSignatureValid } from "./export-file.js";
import { forEachLine, readTail } from "./file-io.js";
import { step } from "./walk.js";
import { publicKeyId } from "./witness.js";

export interface ExportVerifyKeys {
  /** The key the export must be signed with; undefined: the key the file names (unpinned). */
  readonly publicKey?: KeyObject | undefined;
  /** The records' MAC key (from the private key), when at hand. */
  readonly macKey?: Buffer | undefined;
}

export interface ExportSummary {
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly records: number;
  readonly checkpoints: number;
  readonly keyPinned: boolean;
  readonly macsChecked: boolean;
}

export type ExportVerifyResult =
  | ({ readonly ok: true } & ExportSummary)
  | ({
      readonly ok: false;
      readonly firstBad: { readonly line: number | undefined; readonly seq: number | undefined };
      readonly problem: string;
    } & ExportSummary);

type Lines = { readonly lines: readonly string[] } | { readonly path: string };

/** The lines of a JSON export (one array: element N is written on line N), or the path of an NDJSON one. */
function linesOf(path: string): Lines | { readonly bad: string } {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(1);
  let n: number;
  try {
    n = readSync(fd, head, 0, 1, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0 || head.toString("latin1") !== "[") return { path };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return { bad: "is not valid JSON (a JSON export is one array): it was cut short, or edited" };
  }
  if (!Array.isArray(parsed) || parsed.some((e) => typeof e !== "object" || e === null || Array.isArray(e))) return { bad: "is not an array of audit entries" };
  const lines = parsed.map((e: object) => tryCanonical(e));
  const bad = lines.indexOf(undefined);
  if (bad >= 0) return { bad: `holds an entry (element ${bad + 1}) that has no canonical JSON form (a lone surrogate): it was edited` };
  return { lines: lines as string[] };
}

function parseTrailer(text: string | undefined): ExportTrailer | undefined {
  if (text === undefined) return undefined;
  let t: Record<string, unknown>;
  try {
    t = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof t !== "object" || t === null || t.type !== "export" || t.v !== 1) return undefined;
  if (Object.keys(t).some((k) => !(TRAILER_MEMBERS as readonly string[]).includes(k)) || tryCanonical(t) !== text) return undefined;
  const ints = [t.first, t.last, t.records].every((n) => Number.isInteger(n));
  const strs = [t.publicKey, t.base, t.head, t.time, t.sig].every((s) => typeof s === "string");
  return ints && strs ? (t as unknown as ExportTrailer) : undefined;
}

export function verifyExportFile(path: string, keys: ExportVerifyKeys = {}): ExportVerifyResult {
  const source = linesOf(path);
  const base = { first: undefined, last: undefined, records: 0, checkpoints: 0, keyPinned: keys.publicKey !== undefined, macsChecked: false };
  if ("bad" in source) return { ok: false, firstBad: { line: undefined, seq: undefined }, problem: source.bad, ...base };
  let lastText: string | undefined;
  let count = 0;
  let endsWithNewline = true;
  if ("lines" in source) {
    count = source.lines.length;
    lastText = source.lines[count - 1];
  } else {
    const fd = openSync(source.path, "r");
    try {
      const tail = readTail(fd);
      lastText = tail.lastLine;
      endsWithNewline = tail.complete;
    } finally {
      closeSync(fd);
    }
  }
  const trailer = parseTrailer(lastText);
  let key = keys.publicKey;
  if (!key && trailer) {
    try {
      key = createPublicKey({ key: Buffer.from(trailer.publicKey, "base64"), format: "der", type: "spki" });
    } catch {
      key = undefined;
    }
  }
  const noKey = (problem: string): ExportVerifyResult => ({ ok: false, firstBad: { line: undefined, seq: undefined }, problem, ...base });
  if (!key) return noKey("has no signed trailer naming its key, and no key was given: it was cut short, or its last line edited");
  if (trailer && keys.publicKey && trailer.publicKey !== publicKeyId(keys.publicKey))
    return noKey("is signed with another key than the audit key it is checked against (the trailer names another public key)");

  const macKey = keys.publicKey && keys.macKey ? keys.macKey : undefined;
  const s = newSegment({ publicKey: key, macKey });
  // Every line but the last goes through the walk; the last must be the trailer.
  let held: { text: string; line: number } | undefined;
  let total = 0;
  const feed = (text: string, line: number): boolean => {
    total = line;
    const prev = held;
    held = { text, line };
    if (!prev) return true;
    if (s.walk.failure) {
      step(s.walk, prev.text, prev.line); // the line after the bad one, for diagnose()
      return false;
    }
    feedSegment(s, prev.text, prev.line);
    return s.badStart === undefined;
  };
  if ("lines" in source) {
    for (let i = 0; i < count; i++) if (!feed(source.lines[i] as string, i + 1)) break;
  } else {
    forEachLine(source.path, feed);
  }
  const w = s.walk;
  const summary = (): ExportSummary => ({
    ...base,
    first: s.first,
    last: s.closing?.seq,
    records: w.records,
    checkpoints: w.checkpoints - (s.startsAtCheckpoint ? 1 : 0),
    macsChecked: macKey !== undefined,
  });
  const fail = (line: number | undefined, seq: number | undefined, problem: string): ExportVerifyResult => ({
    ok: false,
    firstBad: { line, seq },
    problem,
    ...summary(),
  });
  if (s.badStart) return fail(1, undefined, s.badStart);
  if (w.failure) {
    const d = diagnose(w);
    return fail(d.line, d.seq, d.problem);
  }
  if (total === 0) return fail(undefined, undefined, "is empty");
  if (!endsWithNewline) return fail(total, undefined, `line ${total} has no line end: the export was cut short, or its last line edited`);
  if (!trailer || held === undefined || total < 2)
    return fail(total, undefined, `line ${total} is not the export's signed trailer: the export was cut short, or its last line edited`);
  const unsigned = w.expSeq - 1 - w.lastCheckpointSeq;
  if (unsigned > 0)
    return fail(
      w.firstUnsignedLine,
      w.lastCheckpointSeq + 1,
      `line ${w.firstUnsignedLine} (record ${w.lastCheckpointSeq + 1}) is not signed: the export ends with ${unsigned} entr${unsigned === 1 ? "y" : "ies"} after its last signed checkpoint (cut short, or entries added)`,
    );
  if (!s.closing) return fail(total, undefined, "holds no entries after its start line");
  if (!trailerSignatureValid(key, trailer))
    return fail(total, undefined, `line ${total} (the trailer) does not carry a valid signature by the audit key (edited, or its signature swapped)`);
  const found = { first: s.first, last: s.closing.seq, base: s.base, head: s.closing.hash, records: s.closing.records };
  const said = { first: trailer.first, last: trailer.last, base: trailer.base, head: trailer.head, records: trailer.records };
  if (canonical(found) !== canonical(said))
    return fail(
      total,
      undefined,
      `line ${total} (the trailer) vouches for entries ${said.first}–${said.last} (${said.records} records), but the file holds entries ${found.first}–${found.last} (${found.records} records): the export was cut, or entries removed`,
    );
  return { ok: true, ...summary() };
}
