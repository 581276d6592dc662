/** Backup test helpers: a populated tenant and a signed bundle of it. */
import { join } from "node:path";
import { type BackupSigner, backupSigner, createBackup } from "../../src/index.js";
import { type Setup, setup } from "../rotation/support.js";

export const CANARY = "CANARY-backup-9d41e7";

export interface Populated extends Setup {
  signer: BackupSigner;
  bytes: Buffer;
  /** name → value of every revision, oldest first. */
  values: Map<string, string[]>;
}

/** n secrets, secret i with (i % 3) + 1 revisions, every value containing the canary. */
export async function populated(n = 6, tenant = "acme"): Promise<Populated> {
  const s = await setup(tenant);
  const values = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const name = `app/s${String(i).padStart(3, "0")}`;
    const revs: string[] = [];
    for (let r = 0; r <= i % 3; r++) {
      const v = `${CANARY}-${i}-${r}`;
      await s.manager.set(name, v, { labels: { team: "core" } });
      revs.push(v);
    }
    values.set(name, revs);
  }
  const signer = backupSigner(s.masterKey);
  const { bytes } = await createBackup({ tenant: s.tenant, provider: s.provider, keyringPath: join(s.dataDir, "keys", "keyring.json"), signer });
  return { ...s, signer, bytes, values };
}

/** The forms a leaked value could take in a file. */
export function leaks(haystack: Buffer | string, needle = CANARY): boolean {
  const h = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack);
  const n = Buffer.from(needle);
  return [n, Buffer.from(n.toString("base64")), Buffer.from(n.toString("hex")), Buffer.from(n.toString("base64url"))].some((f) => h.includes(f));
}
