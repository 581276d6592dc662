// Backup blobs: the service's are opaque and restore only where they were made ("Azure Key Vault
// backup": same subscription and geography). Here a blob is the secret's versions sealed with
// AES-256-GCM under this server's key, so a blob from another server, or an edited one, is refused
// with BadParameter and nothing is restored. Values never appear in a blob in clear.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { errors } from "./errors.mjs";

const MAGIC = Buffer.from("PVKVB1");

export function backups(key = randomBytes(32)) {
  return {
    seal(snapshot) {
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      c.setAAD(MAGIC);
      const body = Buffer.concat([c.update(JSON.stringify(snapshot), "utf8"), c.final()]);
      return Buffer.concat([MAGIC, iv, c.getAuthTag(), body]).toString("base64url");
    },
    open(blob) {
      const raw = Buffer.from(blob, "base64url");
      if (raw.length < MAGIC.length + 28 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) throw errors.badBackup();
      const iv = raw.subarray(MAGIC.length, MAGIC.length + 12);
      const tag = raw.subarray(MAGIC.length + 12, MAGIC.length + 28);
      try {
        const d = createDecipheriv("aes-256-gcm", key, iv);
        d.setAAD(MAGIC);
        d.setAuthTag(tag);
        return JSON.parse(Buffer.concat([d.update(raw.subarray(MAGIC.length + 28)), d.final()]).toString("utf8"));
      } catch {
        throw errors.badBackup();
      }
    },
  };
}
