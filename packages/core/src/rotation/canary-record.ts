/**
 * Where each canary rotation stands, in <dataDir>/rotation-canary.json: the latest canary rotation of
 * each secret, its phase and outcome, the targets that hold the new revision, and why it failed —
 * names, revision numbers and reasons only, never a value. `rotation status` reads it; confirm refuses a
 * canary rotation that has not passed. The pending file stays the record of what waits for confirm or
 * rollback; this one also keeps the outcome after a rollback closed the pending entry. Changes are made
 * under a lock file on a fresh read and written atomically (0600), as the pending file's are.
 */
import { z } from "zod";
import { RecordFile } from "../record-file.js";

export const CANARY_FILE = "rotation-canary.json";
const FORMAT = "polyvault-rotation-canary/v1";

/** stage → canary (push + read-back of the canary targets) → check → rollout (the rest); rollback on any failure. */
export const CANARY_PHASES = ["stage", "canary", "check", "rollout", "rollback", "done"] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

const Entry = z.strictObject({
  tenant: z.string(),
  name: z.string(),
  fromRevision: z.number().int().min(1),
  toRevision: z.number().int().min(1),
  phase: z.enum(CANARY_PHASES),
  /** running: a phase is under way (or the run died in it); passed: every target holds the new revision. */
  outcome: z.enum(["running", "passed", "confirmed", "rolled-back", "rollback-failed"]),
  canaryTargets: z.array(z.string()),
  /** Targets (route:provider) that hold the new revision, read back. */
  targetsDone: z.array(z.string()),
  /** The revision that put the old value back (after a rollback). */
  restoredRevision: z.number().int().min(1).optional(),
  /** Why the rotation was rolled back, or why the rollback did not complete. */
  reason: z.string().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type CanaryRecord = z.infer<typeof Entry>;

export class CanaryRecords extends RecordFile<CanaryRecord> {
  constructor(dataDir: string) {
    super(dataDir, CANARY_FILE, FORMAT, "canaries", Entry);
  }

  /** Adds or replaces the record of (tenant, name); `updatedAt` is set here. */
  override async put(record: Omit<CanaryRecord, "updatedAt">): Promise<CanaryRecord> {
    return super.put({ ...record, updatedAt: new Date().toISOString() });
  }
}
