/**
 * Retention: entries older than `retentionDays` are removed, and a signed anchor (count, head of the
 * last removed entry) becomes the first line, so what remains still verifies from its first record on.
 * A log that does not verify is never pruned: pruning must not destroy the evidence of tampering.
 * Runs under the audit lock; the new file replaces the old one atomically.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonical, hashEntry, signStatement } from "./canonical.js";
import { forEachLine, fsyncDirSync } from "./file-io.js";
import { headSeq, readHead, writeHead } from "./head.js";
import type { AuditAnchor } from "./types.js";
import { verifyChainAt } from "./verify.js";
import type { WriterContext } from "./writer.js";

export interface PruneResult {
  /** Entries removed by this call. */
  readonly pruned: number;
  /** Why nothing was pruned, when the log did not verify. */
  readonly skipped?: string | undefined;
}

const DAY_MS = 86_400_000;

export function pruneLog(ctx: WriterContext, now: Date, retentionDays: number, onlyIfDue: boolean): PruneResult {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  // Cheap check first: the oldest entry's time. onlyIfDue waits a day past the cutoff, so at most one rewrite a day.
  let oldest: number | undefined;
  try {
    forEachLine(
      ctx.logPath,
      (line) => {
        const e = JSON.parse(line) as { type?: string; time?: string };
        if (e.type === "anchor") return true;
        oldest = Date.parse(e.time ?? "");
        return false;
      },
      16_384,
    ); // run at every close: read only the start of the file
  } catch {
    return { pruned: 0, skipped: "the log is missing or unreadable" };
  }
  if (oldest === undefined || !(oldest < cutoff - (onlyIfDue ? DAY_MS : 0))) return { pruned: 0 };
  const check = verifyChainAt(ctx.dataDir, ctx.files, { allowUnsignedTail: true, evidence: ctx.evidence });
  if (!check.ok) return { pruned: 0, skipped: check.problem };

  let cutOffset = 0;
  let last: { seq: number; hash: string } | undefined;
  let anchorCount = 0;
  let offset = 0;
  forEachLine(ctx.logPath, (line) => {
    const e = JSON.parse(line) as { type: string; seq: number; time: string; count: number };
    const size = Buffer.byteLength(line) + 1;
    if (e.type === "anchor") anchorCount = e.count;
    else if (Date.parse(e.time) < cutoff) last = { seq: e.seq, hash: hashEntry(e) };
    else return false;
    offset += size;
    cutOffset = offset;
    return true;
  });
  if (!last) return { pruned: 0 };

  const anchor: AuditAnchor = {
    v: 2,
    type: "anchor",
    time: now.toISOString(),
    count: last.seq,
    head: last.hash,
    sig: signStatement(ctx.keys().privateKey, last.seq, last.hash, now.toISOString()),
  };
  const tmp = join(dirname(ctx.logPath), `.audit.log.${process.pid}.prune.tmp`);
  const out = openSync(tmp, "w", 0o600);
  const src = openSync(ctx.logPath, "r");
  try {
    writeSync(out, `${canonical(anchor)}\n`);
    const buf = Buffer.alloc(1 << 20);
    for (let pos = cutOffset; ; ) {
      const n = readSync(src, buf, 0, buf.length, pos);
      if (n === 0) break;
      for (let off = 0; off < n; ) off += writeSync(out, buf, off, n - off);
      pos += n;
    }
    fsyncSync(out);
  } catch (err) {
    closeSync(out);
    unlinkSync(tmp);
    throw err;
  } finally {
    closeSync(src);
  }
  closeSync(out);
  renameSync(tmp, ctx.logPath);
  fsyncDirSync(dirname(ctx.logPath));
  const head = readHead(ctx.headPath);
  if (!head || headSeq(head) <= anchor.count) writeHead(ctx.headPath, anchor);
  return { pruned: last.seq - anchorCount };
}
