/**
 * Writes one export file (export-file.ts) from the log: the entries after `start` (the checkpoint the last
 * export ended with; the log's first line when there was none), checked by the same walk as `audit verify`
 * as they are copied, up to the last signed checkpoint within the first `upTo` bytes of the log; entries
 * after that checkpoint are left for the next export. Streams: the log is never held in memory.
 */
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { IntegrityError } from "../errors.js";
import { canonical, sha256Hex } from "./canonical.js";
import { diagnose } from "./diagnose.js";
import { type ExportTrailer, type Segment, feedSegment, newSegment, signTrailer } from "./export-file.js";
import type { AuditKeys } from "./signing-key.js";
import { publicKeyId } from "./witness.js";

export type ExportFormat = "ndjson" | "json";

export interface SegmentStart {
  readonly seq: number;
  /** The checkpoint's line, exactly as in the log (and as the last export ended). */
  readonly line: string;
  /** Where that line began in the log: a hint, used only when the bytes there are that line (else the log is scanned). */
  readonly offset?: number | undefined;
}

export interface SegmentInput {
  readonly logPath: string;
  /** Read the log up to this many bytes (its size once this run's checkpoint was durable). */
  readonly upTo: number;
  readonly start: SegmentStart | undefined;
  readonly keys: AuditKeys;
  readonly out: string;
  readonly format: ExportFormat;
  readonly now: Date;
}

/** Buffered writes to the export file, with the byte count so far. */
class Output {
  #chunks: string[] = [];
  #pending = 0;
  written = 0;
  constructor(readonly fh: FileHandle) {}
  get size(): number {
    return this.written + this.#pending;
  }
  async add(text: string): Promise<void> {
    this.#chunks.push(text);
    this.#pending += Buffer.byteLength(text);
    if (this.#pending >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#pending === 0) return;
    const data = this.#chunks.join("");
    this.#chunks = [];
    this.#pending = 0;
    await this.fh.write(data);
    this.written += Buffer.byteLength(data);
  }
}

function seqOf(text: string, logPath: string): { type: unknown; seq: number | undefined; count: number | undefined; head: unknown } {
  let e: { type?: unknown; seq?: unknown; count?: unknown; head?: unknown };
  try {
    e = JSON.parse(text) as typeof e;
  } catch {
    throw new IntegrityError(`${logPath} holds a line that is not JSON before the last export's end; nothing was exported; run \`polyvault audit verify\``);
  }
  return {
    type: e.type,
    seq: Number.isInteger(e.seq) ? (e.seq as number) : undefined,
    count: Number.isInteger(e.count) ? (e.count as number) : undefined,
    head: e.head,
  };
}

function notFound(path: string, start: SegmentStart, why: string): IntegrityError {
  return new IntegrityError(
    `${path} no longer continues the last export, which ended at record ${start.seq}: ${why}; nothing was exported (docs/audit.md, "Scheduled export")`,
  );
}

/** Where to start reading: the cursor's offset when the log holds its line there (the log was not rewritten since), else 0. */
async function startOffset(i: SegmentInput): Promise<number> {
  const at = i.start?.offset;
  if (!i.start || at === undefined || at < 0) return 0;
  const want = Buffer.from(`${i.start.line}\n`);
  if (at + want.length > i.upTo) return 0;
  const fh = await open(i.logPath, "r");
  try {
    const got = Buffer.alloc(want.length);
    const { bytesRead } = await fh.read(got, 0, want.length, at);
    return bytesRead === want.length && got.equals(want) ? at : 0;
  } finally {
    await fh.close();
  }
}

/** Writes the export file at `out`; undefined when no signed checkpoint follows `start` (nothing to export). */
export async function writeSegment(i: SegmentInput): Promise<{ trailer: ExportTrailer; closingLine: string; closingOffset: number } | undefined> {
  const from = await startOffset(i);
  const fh = await open(i.out, "wx", 0o600);
  try {
    const out = new Output(fh);
    const s: Segment = newSegment({ publicKey: i.keys.publicKey, macKey: i.keys.macKey });
    let lineNo = 0;
    let closingBytes = 0;
    let closingLine = "";
    let closingOffset = 0;
    let pos = from; // the log's byte offset of the line being read
    const add = async (text: string, at: number): Promise<void> => {
      lineNo++;
      if (!feedSegment(s, text, lineNo) || s.walk.failure) {
        const d = s.walk.failure ? diagnose(s.walk).problem : (s.badStart ?? "does not verify");
        throw new IntegrityError(`${i.logPath} does not verify past the last export (export ${d}); nothing was exported; run \`polyvault audit verify\``);
      }
      await out.add(i.format === "json" ? `${lineNo === 1 ? "[" : ",\n"}${text}` : `${text}\n`);
      if (s.closing?.line === lineNo) {
        closingBytes = out.size;
        closingLine = text;
        closingOffset = at;
      }
    };
    const lines = createInterface({
      input: createReadStream(i.logPath, { encoding: "utf8", start: from, end: i.upTo - 1 }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let started = i.start === undefined;
    for await (const text of lines) {
      const at = pos;
      pos += Buffer.byteLength(text) + 1;
      if (!started && i.start) {
        const e = seqOf(text, i.logPath);
        if (e.type === "anchor" && e.count !== undefined && e.count >= i.start.seq) {
          if (e.count > i.start.seq || e.head !== sha256Hex(i.start.line))
            throw notFound(i.logPath, i.start, `records up to ${e.count} were pruned (retention) or replaced by a new chain before they were exported`);
          await add(i.start.line, -1); // the anchor vouches for the very entry the last export ended with
          started = true;
          continue;
        }
        if (e.seq === undefined || e.seq < i.start.seq) continue;
        if (e.seq > i.start.seq) throw notFound(i.logPath, i.start, `record ${i.start.seq} is not in it (pruned, or a new chain)`);
        if (text !== i.start.line)
          throw notFound(i.logPath, i.start, `its record ${i.start.seq} differs from the checkpoint the last export ended with (rewritten, or a new chain)`);
        started = true;
      }
      await add(text, at);
    }
    if (!started && i.start) throw notFound(i.logPath, i.start, `it ends before record ${i.start.seq} (truncated, or a new chain)`);
    if (!s.closing) return undefined;
    await out.flush();
    await fh.truncate(closingBytes); // entries after the last checkpoint wait for the next export
    const trailer = signTrailer(i.keys.privateKey, {
      publicKey: publicKeyId(i.keys.publicKey),
      first: s.first,
      last: s.closing.seq,
      base: s.base,
      head: s.closing.hash,
      records: s.closing.records,
      time: i.now.toISOString(),
    });
    const text = canonical(trailer);
    await fh.write(i.format === "json" ? `,\n${text}]\n` : `${text}\n`, closingBytes);
    await fh.sync();
    return { trailer, closingLine, closingOffset };
  } finally {
    await fh.close();
  }
}
