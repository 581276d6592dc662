/**
 * Rotations waiting for confirmation, in <dataDir>/rotation-pending.json (names and revision numbers
 * only, never a value). The file, not the secret's metadata, is the record: cloud providers' versions
 * are immutable, so a "pending" mark stored on a version could never be cleared on confirm without
 * writing yet another revision. The file is a RecordFile (core/src/record-file.ts): checked on read, changed under
 * a lock and written atomically, so two `rotation run`s never lose each other's entries.
 */
import { z } from "zod";
import { RecordFile } from "../record-file.js";

export const PENDING_FILE = "rotation-pending.json";
const FORMAT = "polyvault-rotation-pending/v1";

const Entry = z.strictObject({
  tenant: z.string(),
  name: z.string(),
  /** The revision that was current before the rotation (restored by rollback). */
  previousRevision: z.number().int().min(1),
  /** The new revision; absent while the write is in flight ("staging"). */
  stagedRevision: z.number().int().min(1).optional(),
  state: z.enum(["staging", "staged"]),
  strategy: z.enum(["blue-green", "gradual", "canary"]),
  stagedAt: z.string(),
  /** Gradual rollouts: targets already updated and read back. */
  targetsDone: z.array(z.string()).optional(),
});
export type PendingRotation = z.infer<typeof Entry>;

export class PendingRotations extends RecordFile<PendingRotation> {
  constructor(dataDir: string) {
    super(dataDir, PENDING_FILE, FORMAT, "pending", Entry);
  }
}
