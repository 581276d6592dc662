/**
 * Where each canary rotation stands, in <dataDir>/rotation-canary.json: the latest canary rotation of
 * each secret, its phase and outcome, the targets that hold the new revision, and why it failed —
 * names, revision numbers and reasons only, never a value. `rotation status` reads it; confirm refuses a
 * canary rotation that has not passed. The pending file stays the record of what waits for confirm or
 * rollback; this one also keeps the outcome after a rollback closed the pending entry. Changes are made
 * under a lock file on a fresh read and written atomically (0600), as the pending file's are.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { isErrno, withLockFile, writeFileAtomic } from "../crypto/files.js";
import { IntegrityError } from "../errors.js";

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
const File = z.strictObject({ format: z.literal(FORMAT), canaries: z.array(Entry) });

export class CanaryRecords {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, CANARY_FILE);
  }

  async list(): Promise<CanaryRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return [];
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new IntegrityError(`${this.path} is damaged: not JSON`);
    }
    const r = File.safeParse(raw);
    if (!r.success) throw new IntegrityError(`${this.path} is damaged: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
    return r.data.canaries;
  }

  async get(tenant: string, name: string): Promise<CanaryRecord | undefined> {
    return (await this.list()).find((c) => c.tenant === tenant && c.name === name);
  }

  /** Adds or replaces the record of (tenant, name); `updatedAt` is set here. */
  async put(record: Omit<CanaryRecord, "updatedAt">): Promise<CanaryRecord> {
    const next = Entry.parse({ ...record, updatedAt: new Date().toISOString() });
    await mkdir(dirname(this.path), { recursive: true });
    await withLockFile(`${this.path}.lock`, async () => {
      const all = (await this.list()).filter((c) => !(c.tenant === record.tenant && c.name === record.name));
      await writeFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, canaries: [...all, next] }, null, 2)}\n`);
    });
    return next;
  }
}
