/**
 * Is there already an audit chain here? A log that is missing or empty is a new data directory, or one
 * whose log was erased. Without a witness the only tell is what the erasure left behind: the signing key
 * (created with a chain's first entry), audit.config (written once a chain has recorded the configuration).
 * A writer refuses to start a new chain over either, and `audit verify` reports it, unless a person asks
 * for a new chain (`polyvault audit new-chain`, recorded as the new chain's first entry).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createdByThisProcess, signingKeyPath } from "./signing-key.js";
import { AUDIT_FILES } from "./types.js";

/** Why this directory looks like it held a chain before (undefined: it does not). */
export function chainEvidence(dataDir: string): string | undefined {
  if (existsSync(signingKeyPath(dataDir)) && !createdByThisProcess(dataDir)) return `${AUDIT_FILES.key} exists (it is created with a chain's first entry)`;
  if (existsSync(join(dataDir, "audit.config"))) return "audit.config exists (it is written once a chain has recorded the configuration)";
  return undefined;
}

/** Whether the log holds anything (a missing file holds nothing). */
export function logHasEntries(dataDir: string): boolean {
  try {
    return statSync(join(dataDir, AUDIT_FILES.log)).size > 0;
  } catch {
    return false;
  }
}
