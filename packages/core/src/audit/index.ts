/** The signed, hash-chained audit log (docs/audit.md). */
export { AUDIT_FIELD_MAX, type AuditBatchInfo, AuditLog, type AuditLogOptions, clipAuditText } from "./audit-log.js";
export { SEGMENT_ACTOR, SegmentLog } from "./segment-log.js";
export { recordConfigChange } from "./config-change.js";
export { type ExportOptions, exportRecords, parseSince } from "./export.js";
export { CURSOR_FILE, exportFileName, listExports, readCursor } from "./export-cursor.js";
export { EXPORT_FORMAT, type ExportTrailer } from "./export-file.js";
export { type IncrementalExportOptions, type IncrementalExportResult, exportIncremental } from "./export-incremental.js";
export type { ExportFormat } from "./export-segment.js";
export { type ExportSummary, type ExportVerifyKeys, type ExportVerifyResult, verifyExportFile } from "./export-verify.js";
export type { PruneResult } from "./prune.js";
export { type AuditKeys, ensureSigningKey, loadSigningKey, signingKeyPath } from "./signing-key.js";
export { AuditStep, type AuditStepOptions, errorOutcome, requestIdOf } from "./step.js";
export * from "./types.js";
export {
  type ChainFiles,
  type SegmentVerifyResult,
  type VerifyOptions,
  type VerifyResult,
  type VerifySummary,
  mainChainFiles,
  verifyAuditLog,
} from "./verify.js";
export {
  SEGMENTS_DIR,
  SEGMENT_ANCHOR_ACTION,
  SEGMENT_OPEN_ACTION,
  type SegmentAnchor,
  anchorDetail,
  anchorOf,
  chainLogs,
  checkSegmentName,
  listSegments,
  oldestEntryTime,
  segmentChainFiles,
  segmentDir,
} from "./segments.js";
export { chainEvidence } from "./evidence.js";
export { type AuditWitness, FileWitness, type SyncWitnessView, type WitnessState, publicKeyId } from "./witness.js";
