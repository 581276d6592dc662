/** Shared by the operations tests: the sandbox's configuration, the audit records, a snapshot of every file. */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { filesBelow } from "../../../test/harness/cli.js";

export const CANARY = "CANARY-ops-5b1e0c";

export interface Rec {
  type: string;
  action: string;
  actor: string;
  outcome: string;
  tenant?: string;
  name?: string;
  requestId?: string;
  reason?: string;
  detail?: string;
}

export const records = (home: string): Rec[] =>
  readFileSync(join(home, "audit.log"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec)
    .filter((e) => e.type === "record");

export function config(cwd: string, extra = ""): void {
  writeFileSync(
    join(cwd, "polyvault.yaml"),
    [
      "providers:",
      "  local: { type: file }",
      "  mirror: { type: file, dir: ./mirror-store }",
      "  other: { type: file, dir: ./other-store }",
      "tenants:",
      "  acme: { primary: local }",
      "routes:",
      "  m: { source: local, targets: [mirror], tenants: [acme] }",
      extra,
    ].join("\n"),
  );
}

/** Every file of the working directory (data directory included) with its content, but the audit log's own files. */
export function snapshot(cwd: string): Array<[string, string]> {
  return filesBelow(cwd)
    .filter((f) => !/audit\.(log|head|lock)|audit\.log\.saved/.test(f))
    .map((f) => [relative(cwd, f), createHash("sha256").update(readFileSync(f)).digest("hex")] as [string, string])
    .sort();
}
