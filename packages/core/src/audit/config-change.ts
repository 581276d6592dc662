/**
 * Configuration changes are audited: each process that opens the runtime compares a keyed digest of the
 * loaded configuration with the one recorded last (<dataDir>/audit.config) and appends a `config.change`
 * record when it differs. The digest is an HMAC under a key derived from the audit signing key, because
 * the configuration can hold credentials (a Vault token, AWS keys) that a plain hash would let anyone
 * with the file test guesses against. Neither the configuration nor its digest goes into the log.
 */
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditLog } from "./audit-log.js";
import { canonical } from "./canonical.js";
import { writeFileAtomicSync } from "./file-io.js";
import { ensureSigningKey } from "./signing-key.js";

export async function recordConfigChange(log: AuditLog, config: object, actor: string): Promise<boolean> {
  const der = ensureSigningKey(log.dataDir).privateKey.export({ format: "der", type: "pkcs8" });
  const key = createHash("sha256").update("polyvault-config-digest/v1").update(der).digest();
  const digest = createHmac("sha256", key).update(canonical(config)).digest("hex");
  const path = join(log.dataDir, "audit.config");
  let previous = "";
  try {
    previous = readFileSync(path, "utf8").trim();
  } catch {
    // first run
  }
  if (previous === digest) return false;
  await log.append({
    actor,
    action: "config.change",
    outcome: "ok",
    reason: previous === "" ? "first configuration recorded" : "configuration differs from the last one recorded",
  });
  writeFileAtomicSync(path, `${digest}\n`);
  return true;
}
