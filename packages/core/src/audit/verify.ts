/**
 * `audit verify`: walks the log once and names the first bad entry. Each entry must carry the next
 * sequence number and the hash of the entry before it; each checkpoint must sign (count, head) with the
 * audit key; the entry kept in audit.head must still be in the log (else it was truncated); and by
 * default nothing may follow the last checkpoint unsigned. See docs/audit.md for each diagnosis.
 */
import type { KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hashEntry, verifyStatement } from "./canonical.js";
import { forEachLine } from "./file-io.js";
import { type HeadEntry, headSeq, readHead } from "./head.js";
import { type SegmentAnchor, SEGMENT_ANCHOR_ACTION, anchorCheckpoint, anchorOf, listSegments, segmentChainFiles } from "./segments.js";
import { type AuditKeys, loadSigningKey } from "./signing-key.js";
import { AUDIT_FILES } from "./types.js";
import { diagnose } from "./diagnose.js";
import { type Walk, newWalk, step } from "./walk.js";
import { chainEvidence } from "./evidence.js";
import { type SyncWitnessView, type WitnessState, publicKeyId } from "./witness.js";

export interface VerifyOptions {
  /** Accept entries after the last checkpoint (a live writer has not sealed them yet). */
  readonly allowUnsignedTail?: boolean | undefined;
  /** Compare with what this witness holds (rollback, erasure, a replaced key: docs/audit.md, "Witnesses"). */
  readonly witness?: SyncWitnessView | undefined;
}

export interface VerifySummary {
  readonly entries: number;
  readonly records: number;
  readonly checkpoints: number;
  /** Entries pruned by retention before the first line (0 when never pruned). */
  readonly pruned: number;
  readonly lastSeq: number;
  readonly unsignedTail: number;
}

/** One chain's verdict: intact, or the first bad entry and what is wrong with it; with its counts. */
export type ChainVerdict =
  | ({ readonly ok: true } & VerifySummary)
  | ({
      readonly ok: false;
      readonly firstBad: { readonly line: number | undefined; readonly seq: number | undefined };
      readonly problem: string;
    } & VerifySummary);

/** One segment's verdict (its chain's counts), in `segments` of the whole log's. */
export type SegmentVerifyResult = { readonly segment: string } & ChainVerdict;

/** The main chain's counts; `segments` when the directory has any (the first problem of any chain fails the whole). */
export type VerifyResult = ChainVerdict & { readonly segments?: readonly SegmentVerifyResult[] };

/** One chain's files, and how its messages name them. */
export interface ChainFiles {
  readonly logPath: string;
  readonly headPath: string;
  /** How the problems name the log and its head (`audit.log`, `audit-segments/w1/audit.log`). */
  readonly logName: string;
  readonly headName: string;
}

interface ChainCheck {
  readonly allowUnsignedTail: boolean;
  readonly witnessed: { readonly state: WitnessState; readonly description: string } | undefined;
  /** Why an empty log here means an erased one (undefined: it may be new). */
  readonly evidence: () => string | undefined;
  /** Sees every line the walk accepted, after it did. */
  readonly onEntry?: ((text: string) => void) | undefined;
}

/** One chain alone (pruning checks the chain it rewrites, no other): its files, the directory's key. */
export function verifyChainAt(
  dataDir: string,
  files: ChainFiles,
  options: { readonly allowUnsignedTail: boolean; readonly evidence: () => string | undefined },
): VerifyResult {
  return verifyChain(files, loadSigningKey(dataDir), { ...options, witnessed: undefined });
}

export function mainChainFiles(dataDir: string): ChainFiles {
  return { logPath: join(dataDir, AUDIT_FILES.log), headPath: join(dataDir, AUDIT_FILES.head), logName: AUDIT_FILES.log, headName: AUDIT_FILES.head };
}

/**
 * The whole log of a data directory: the main chain, then every segment (`serve --workers N`: one chain
 * per worker, segments.ts), each checked as the main chain is and against the latest statement of it the
 * main chain holds (an `audit.segment` record: a segment that was deleted, cut back or rewritten below it
 * fails). The first problem of any chain fails the whole.
 */
export function verifyAuditLog(dataDir: string, options: VerifyOptions = {}): VerifyResult {
  const keys = loadSigningKey(dataDir);
  const witnessed = options.witness?.readSync();
  const anchors = new Map<string, SegmentAnchor & { readonly line: number }>();
  let line = 0;
  const main = verifyChain(mainChainFiles(dataDir), keys, {
    allowUnsignedTail: options.allowUnsignedTail ?? false,
    witnessed: witnessed && options.witness ? { state: witnessed, description: options.witness.description } : undefined,
    evidence: () => chainEvidence(dataDir),
    onEntry: (text) => {
      line++;
      if (!text.includes(SEGMENT_ANCHOR_ACTION)) return;
      const a = anchorOf(JSON.parse(text) as Record<string, unknown>);
      const known = anchors.get(a?.segment ?? "");
      if (a && (!known || a.count >= known.count)) anchors.set(a.segment, { ...a, line });
    },
  });
  const names = [...new Set([...listSegments(dataDir), ...anchors.keys()])].sort();
  const segments: SegmentVerifyResult[] = [];
  for (const name of names) {
    const anchor = anchors.get(name);
    const files = segmentChainFiles(dataDir, name);
    const r = verifyChain(files, keys, {
      allowUnsignedTail: options.allowUnsignedTail ?? false,
      witnessed:
        anchor && keys
          ? { state: { publicKey: publicKeyId(keys.publicKey), checkpoint: anchorCheckpoint(anchor) }, description: `main chain (its line ${anchor.line})` }
          : undefined,
      evidence: () => (anchor ? `the main chain names this segment (its line ${anchor.line}, ${anchor.count} entries)` : undefined),
    });
    segments.push({ segment: name, ...r, ...(r.ok ? {} : { problem: `segment ${name} (${files.logName}): ${r.problem}` }) });
  }
  const bad = main.ok ? segments.find((s) => !s.ok) : undefined;
  const result: VerifyResult = bad && !bad.ok ? { ...main, ok: false, firstBad: bad.firstBad, problem: bad.problem } : main;
  return segments.length ? { ...result, segments } : result;
}

function verifyChain(files: ChainFiles, keys: AuditKeys | undefined, check: ChainCheck): VerifyResult {
  const { logPath } = files;
  const head = readHead(files.headPath);
  const witnessed = check.witnessed;
  const w: Walk = newWalk(keys, head, witnessed?.state.checkpoint.count);
  let endsWithNewline = true;
  if (existsSync(logPath)) {
    const onEntry = check.onEntry;
    const r = forEachLine(logPath, (text, lineNo) => {
      const go = step(w, text, lineNo);
      if (onEntry && !w.failure) onEntry(text);
      return go;
    });
    endsWithNewline = r.endsWithNewline;
  }
  const summary = (): VerifySummary => ({
    entries: w.lastLine - (w.anchored ? 1 : 0),
    records: w.records,
    checkpoints: w.checkpoints,
    pruned: w.anchored ? w.firstSeq - 1 : 0,
    lastSeq: w.expSeq - 1,
    unsignedTail: w.expSeq - 1 - w.lastCheckpointSeq,
  });
  const fail = (line: number | undefined, seq: number | undefined, problem: string): VerifyResult => ({
    ok: false,
    firstBad: { line, seq },
    problem,
    ...summary(),
  });

  if (w.failure) {
    const d = diagnose(w);
    return fail(d.line, d.seq, d.problem);
  }
  if (!endsWithNewline)
    return fail(w.lastLine, w.expSeq - 1, `line ${w.lastLine} (record ${w.expSeq - 1}) has no line end: a write was cut short, or the line was edited`);
  if (witnessed) {
    const problem = checkWitness(w, witnessed.state, witnessed.description, keys?.publicKey, files);
    if (problem) return fail(problem.line, problem.seq, problem.problem);
  }
  const headProblem = checkHead(w, head, keys?.publicKey, files);
  if (headProblem) return fail(headProblem.line, headProblem.seq, headProblem.problem);
  if (w.lastLine === 0 && !head) {
    const evidence = check.evidence();
    if (evidence)
      return fail(
        1,
        1,
        `${files.logName} is missing or empty, but ${evidence}: the log and its head were deleted (erased), or its first write never finished; a writer refuses to start a new chain here until \`polyvault audit new-chain\` is run`,
      );
  }
  const unsigned = w.expSeq - 1 - w.lastCheckpointSeq;
  if (unsigned > 0 && !check.allowUnsignedTail) {
    return fail(
      w.firstUnsignedLine,
      w.lastCheckpointSeq + 1,
      `line ${w.firstUnsignedLine} (record ${w.lastCheckpointSeq + 1}) is not signed: ${unsigned} entr${unsigned === 1 ? "y" : "ies"} from record ${w.lastCheckpointSeq + 1} on follow the last signed checkpoint: appended without a signature, or left by a writer that stopped before sealing them (the next writer seals them; --allow-unsigned-tail accepts them)`,
    );
  }
  return { ok: true, ...summary() };
}

function checkHead(
  w: Walk,
  head: HeadEntry | undefined,
  key: KeyObject | undefined,
  files: ChainFiles,
): { line: number | undefined; seq: number | undefined; problem: string } | undefined {
  const lastSeq = w.expSeq - 1;
  if (!head) {
    if (w.checkpoints > 0 || w.anchored)
      return {
        line: undefined,
        seq: undefined,
        problem: `${files.headName} is missing although the log has signed checkpoints: it was deleted, and the log may have been truncated`,
      };
    return undefined;
  }
  if (!key || !verifyStatement(key, head))
    return { line: undefined, seq: undefined, problem: `${files.headName} does not carry a valid signature by the audit key` };
  const hs = headSeq(head);
  if (w.anchored && hs <= w.firstSeq - 1) {
    // The head's entry was pruned; only an anchor that vouches for at least as much may replace it.
    if (w.anchorCount < head.count)
      return { line: 1, seq: undefined, problem: `line 1 (the anchor) covers ${w.anchorCount} entries, fewer than the signed head (${head.count})` };
    return undefined;
  }
  if (lastSeq < hs) {
    return {
      line: w.lastLine + 1,
      seq: lastSeq + 1,
      problem: `line ${w.lastLine + 1} (record ${lastSeq + 1}) is missing: the log ends at record ${lastSeq} but its last signed checkpoint (${files.headName}) is record ${hs}: records ${lastSeq + 1}–${hs} were cut off (truncated)`,
    };
  }
  if (w.headSeen !== hashEntry(head))
    return { line: w.headLine, seq: hs, problem: `line ${w.headLine} (record ${hs}) differs from the signed checkpoint kept in ${files.headName}` };
  return undefined;
}

/** The log against the witness's checkpoint: at least as long, the same entry where it vouches, the same key. */
function checkWitness(
  w: Walk,
  witnessed: WitnessState,
  where: string,
  key: KeyObject | undefined,
  files: ChainFiles,
): { line: number | undefined; seq: number | undefined; problem: string } | undefined {
  const lastSeq = w.expSeq - 1;
  const c = witnessed.checkpoint;
  if (lastSeq < c.count)
    return {
      line: w.lastLine + 1,
      seq: lastSeq + 1,
      problem: `the log was rolled back: the log ends at record ${lastSeq} but the ${where} holds a signed checkpoint of ${c.count} entries (${c.time}): records ${lastSeq + 1}–${c.count} were removed, and ${files.headName} replaced`,
    };
  if (!key || publicKeyId(key) !== witnessed.publicKey)
    return {
      line: undefined,
      seq: undefined,
      problem: `the audit signing key is not the one the ${where} knows: ${AUDIT_FILES.key} was ${key ? "replaced" : "deleted"}`,
    };
  if (w.anchored && w.anchorCount > c.count) return undefined; // pruned past the witnessed point: the anchor's signature vouches
  if (w.witnessSeen !== c.head)
    return {
      line: undefined,
      seq: c.count,
      problem: `record ${c.count} is not the one the ${where} holds a signed checkpoint for: the log was rewritten from there on (a fork)`,
    };
  return undefined;
}
