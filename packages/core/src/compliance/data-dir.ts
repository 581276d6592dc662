/**
 * The data directory is private to the account that runs Polyvault: nobody else can write it (or, for
 * keys/, read it). Someone who can write it can swap the store, the audit log or the keyring file for
 * copies of their choosing; encryption stops them reading values, not tampering or destroying.
 */
import { dataDirWritableByOthers } from "../crypto/data-dir-modes.js";
import { keysDir } from "../crypto/master-key.js";
import type { ComplianceInput, ControlOutcome } from "./types.js";
import { lstat } from "node:fs/promises";

export async function dataDirPermissions(input: ComplianceInput): Promise<ControlOutcome> {
  if (input.dataDir === undefined) return { pass: false, evidence: "no data directory was given to this check" };
  const problems = await dataDirWritableByOthers(input.dataDir);
  const keys = await lstat(keysDir(input.dataDir)).catch(() => undefined);
  if (keys && process.platform !== "win32" && (keys.mode & 0o077) !== 0) {
    problems.push(`${keysDir(input.dataDir)} is accessible to group or others (mode ${(keys.mode & 0o777).toString(8).padStart(4, "0")}); run \`chmod 700\``);
  }
  return problems.length
    ? { pass: false, evidence: problems.join("; ") }
    : { pass: true, evidence: `${input.dataDir} and everything directly in it are writable by its owner only; keys/ is private` };
}
