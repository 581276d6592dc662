/**
 * Rewriting polyvault.yaml for a cutover: the YAML document is edited in place (comments and layout
 * kept), written atomically (temp file, fsync, rename), and the previous file is kept beside it.
 */
import { copyFileSync, fsyncSync, openSync, closeSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { InvalidInputError } from "@polyvault/core";
import { parseDocument } from "yaml";
import { parseConfig } from "./load.js";

export interface Placement {
  readonly primary: string;
  readonly mirrors: readonly string[];
}

/** Sets tenants.<tenant> to the placement; returns the backup file's path. */
export function rewriteTenantPlacement(path: string, tenant: string, placement: Placement, env: NodeJS.ProcessEnv = process.env): { backup: string } {
  const text = readFileSync(path, "utf8");
  const doc = parseDocument(text);
  doc.setIn(["tenants", tenant], doc.createNode({ primary: placement.primary, mirrors: [...placement.mirrors] }, { flow: true }));
  const next = doc.toString();
  // Never write a configuration that would not load.
  parseConfig(next, path, env);
  const backup = `${path}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  copyFileSync(path, backup);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, next, { mode: 0o600 });
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  if (readFileSync(path, "utf8") !== next) throw new InvalidInputError(`${path} changed while it was being rewritten`);
  return { backup };
}
