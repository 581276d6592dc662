/**
 * Rewriting polyvault.yaml for a cutover: only the nodes that change are rewritten (yaml-edit.ts: every
 * comment and every one-line map elsewhere stays as written), the result must load, it is written
 * atomically (temp file, fsync, rename), and the previous file is kept beside it.
 *
 * A cutover of tenant T from F to P also turns around every route that fed P from F for T: left as it
 * was, that route would write the old primary's values over the new primary's, and with prune delete
 * from it what F no longer holds. Such a route becomes P → F (plus its other targets) for T — in place
 * when T is its only tenant, else T moves to a new route `<route>-<T>`. A route
 * that carries every tenant ("*") cannot be split by listing: the cutover is refused before any write.
 */
import { closeSync, copyFileSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { InvalidInputError } from "@polyvault/core";
import { parseConfig } from "./load.js";
import type { PolyvaultConfig, RouteConfig } from "./schema.js";
import { type YamlEdit, editYaml } from "./yaml-edit.js";

export interface Placement {
  readonly primary: string;
  readonly mirrors: readonly string[];
}

export interface CutoverRewrite {
  readonly backup: string;
  /** What happened to each route that fed the new primary from the old one. */
  readonly routes: ReadonlyArray<{ route: string; change: string }>;
}

const targetName = (t: RouteConfig["targets"][number]) => (typeof t === "string" ? t : t.provider);

/** The edits that reverse the routes from `from` into `to` for `tenant`. */
export function reverseRouteEdits(
  config: PolyvaultConfig,
  tenant: string,
  from: string,
  to: string,
): { edits: YamlEdit[]; routes: Array<{ route: string; change: string }> } {
  const edits: YamlEdit[] = [];
  const routes: Array<{ route: string; change: string }> = [];
  for (const [name, rc] of Object.entries(config.routes ?? {})) {
    if (rc.source !== from || !rc.targets.some((t) => targetName(t) === to)) continue;
    if (rc.tenants === "*")
      throw new InvalidInputError(
        `route ${name} copies every tenant ("*") from ${from} into ${to}, which would overwrite ${tenant}'s new primary: list its tenants explicitly (without ${tenant}) and rerun the cutover`,
      );
    if (!rc.tenants.includes(tenant)) continue;
    const targets = [from, ...rc.targets.filter((t) => targetName(t) !== to && targetName(t) !== from)];
    // A route of this tenant alone is turned around in place (its other targets kept); splitting it would
    // leave the old route with no tenant, which does not load.
    if (rc.tenants.length === 1) {
      edits.push({ path: ["routes", name, "source"], value: to }, { path: ["routes", name, "targets"], value: targets });
      routes.push({ route: name, change: `reversed: now ${to} → ${targets.map(targetName).join(", ")}` });
      continue;
    }
    const split = `${name}-${tenant}`.slice(0, 63);
    if (config.routes?.[split]) throw new InvalidInputError(`cannot move ${tenant} out of route ${name}: a route named ${split} already exists`);
    const { tenants: _t, source: _s, targets: _g, ...rest } = rc;
    edits.push({ path: ["routes", name, "tenants"], value: rc.tenants.filter((t) => t !== tenant) });
    edits.push({ path: ["routes", split], value: { source: to, targets, tenants: [tenant], ...rest } });
    routes.push({ route: name, change: `${tenant} moved to new route ${split}: ${to} → ${targets.map(targetName).join(", ")}` });
  }
  return { edits, routes };
}

/** Makes `to` the tenant's primary (old primary first among its mirrors) and reverses the routes that fed `to`. */
export function rewriteCutover(path: string, tenant: string, from: string, to: string, env: NodeJS.ProcessEnv = process.env): CutoverRewrite {
  const text = readFileSync(path, "utf8");
  const config = parseConfig(text, path, env);
  const old = config.tenants?.[tenant];
  const mirrors = [from, ...(old?.mirrors ?? []).filter((m) => m !== to && m !== from)];
  const { edits, routes } = reverseRouteEdits(config, tenant, from, to);
  const backup = writeEdited(path, text, [{ path: ["tenants", tenant], value: { primary: to, mirrors } }, ...edits], env);
  return { backup, routes };
}

/** Sets tenants.<tenant> to the placement; returns the backup file's path. */
export function rewriteTenantPlacement(path: string, tenant: string, placement: Placement, env: NodeJS.ProcessEnv = process.env): { backup: string } {
  const text = readFileSync(path, "utf8");
  return { backup: writeEdited(path, text, [{ path: ["tenants", tenant], value: { primary: placement.primary, mirrors: [...placement.mirrors] } }], env) };
}

function writeEdited(path: string, text: string, edits: readonly YamlEdit[], env: NodeJS.ProcessEnv): string {
  const next = editYaml(text, edits);
  // Never write a configuration that would not load (rules.ts refuses a route into a tenant's primary).
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
  return backup;
}
