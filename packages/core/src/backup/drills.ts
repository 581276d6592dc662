/**
 * Restore drills: every verified `backup restore` (with or without --dry-run) is recorded in
 * <dataDir>/backup-drills.json, so the compliance check can tell when a backup was last proven to be
 * restorable. Names, counts and times only. The newest 20 drills per tenant are kept.
 */
import { z } from "zod";
import { JsonRecordFile } from "../record-file.js";

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

const drillsFile = (dataDir: string) => new JsonRecordFile<BackupDrill>(dataDir, DRILLS_FILE, FORMAT, "drills", Drill);

export async function readDrills(dataDir: string): Promise<BackupDrill[]> {
  return drillsFile(dataDir).list();
}

export async function recordDrill(dataDir: string, drill: BackupDrill): Promise<void> {
  const next = Drill.parse(drill);
  await drillsFile(dataDir).change((before) => {
    const all = [...before, next];
    const mine = all.filter((d) => d.tenant === next.tenant);
    const dropped = new Set(mine.slice(0, Math.max(0, mine.length - KEEP_PER_TENANT)));
    return all.filter((d) => !dropped.has(d));
  });
}

/** The newest drill of a tenant, if any. */
export function lastDrill(drills: readonly BackupDrill[], tenant: string): BackupDrill | undefined {
  return drills
    .filter((d) => d.tenant === tenant)
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1);
}
