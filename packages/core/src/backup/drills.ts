/**
 * Restore drills: every verified `backup restore` (with or without --dry-run) is recorded in
 * <dataDir>/backup-drills.json, so the compliance check can tell when a backup was last proven to be
 * restorable. Names, counts and times only. The newest 20 drills per tenant are kept.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { isErrno, withLockFile, writeFileAtomic } from "../crypto/files.js";
import { IntegrityError } from "../errors.js";

export const DRILLS_FILE = "backup-drills.json";
const FORMAT = "polyvault-backup-drills/v1";
const KEEP_PER_TENANT = 20;

const Drill = z.strictObject({
  tenant: z.string(),
  at: z.iso.datetime(),
  kind: z.enum(["dry-run", "restore"]),
  bundleCreatedAt: z.iso.datetime(),
  secrets: z.number().int().min(0),
  versions: z.number().int().min(0),
});
export type BackupDrill = z.infer<typeof Drill>;
const File = z.strictObject({ format: z.literal(FORMAT), drills: z.array(Drill) });

export async function readDrills(dataDir: string): Promise<BackupDrill[]> {
  const path = join(dataDir, DRILLS_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new IntegrityError(`${path} is damaged: not JSON`);
  }
  const r = File.safeParse(raw);
  if (!r.success) throw new IntegrityError(`${path} is damaged: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
  return r.data.drills;
}

export async function recordDrill(dataDir: string, drill: BackupDrill): Promise<void> {
  const path = join(dataDir, DRILLS_FILE);
  await mkdir(dataDir, { recursive: true });
  await withLockFile(`${path}.lock`, async () => {
    const all = [...(await readDrills(dataDir)), Drill.parse(drill)];
    const mine = all.filter((d) => d.tenant === drill.tenant);
    const dropped = new Set(mine.slice(0, Math.max(0, mine.length - KEEP_PER_TENANT)));
    const kept = all.filter((d) => !dropped.has(d));
    await writeFileAtomic(path, `${JSON.stringify({ format: FORMAT, drills: kept }, null, 2)}\n`);
  });
}

/** The newest drill of a tenant, if any. */
export function lastDrill(drills: readonly BackupDrill[], tenant: string): BackupDrill | undefined {
  return drills
    .filter((d) => d.tenant === tenant)
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1);
}
