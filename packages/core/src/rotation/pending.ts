/**
 * Rotations waiting for confirmation, in <dataDir>/rotation-pending.json (names and revision numbers
 * only, never a value). The file, not the secret's metadata, is the record: cloud providers' versions
 * are immutable, so a "pending" mark stored on a version could never be cleared on confirm without
 * writing yet another revision. Every change is made under a lock file on a fresh read and written
 * atomically (0600), so two `rotation run`s never lose each other's entries.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { isErrno, withLockFile, writeFileAtomic } from "../crypto/files.js";
import { IntegrityError } from "../errors.js";

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
const File = z.strictObject({ format: z.literal(FORMAT), pending: z.array(Entry) });

export class PendingRotations {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, PENDING_FILE);
  }

  async list(): Promise<PendingRotation[]> {
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
    return r.data.pending;
  }

  async get(tenant: string, name: string): Promise<PendingRotation | undefined> {
    return (await this.list()).find((p) => p.tenant === tenant && p.name === name);
  }

  /** Adds or replaces the entry for (tenant, name). */
  async put(entry: PendingRotation): Promise<void> {
    await this.#change((all) => [...all.filter((p) => !(p.tenant === entry.tenant && p.name === entry.name)), Entry.parse(entry)]);
  }

  async remove(tenant: string, name: string): Promise<void> {
    await this.#change((all) => all.filter((p) => !(p.tenant === tenant && p.name === name)));
  }

  async #change(edit: (all: PendingRotation[]) => PendingRotation[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await withLockFile(`${this.path}.lock`, async () => {
      const next = edit(await this.list());
      await writeFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, pending: next }, null, 2)}\n`);
    });
  }
}
