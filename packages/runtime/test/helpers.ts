/** Shared by the runtime's tests: the record entries of a data directory's audit log (checkpoints left out). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function auditRecords(dataDir: string): Array<Record<string, string>> {
  return readFileSync(join(dataDir, "audit.log"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, string>)
    .filter((e) => e.type === "record");
}
