/**
 * Least privilege and separation of duties, read from the `access` configuration.
 *
 * A grant covers tenant T when its `tenants` list holds T or "*". Break-glass principals
 * (`breakGlass: true`: emergency accounts, kept sealed and audited) are exempt from both controls.
 *  - least-privilege: no principal holds `admin` over "*" (every tenant).
 *  - separation-of-duties: no principal is both a key administrator (a grant covering T whose role
 *    grants `keys` or `rewrap`: admin, key-admin) and a reader of values (a grant covering T whose role
 *    grants `read`: admin, writer, reader), so the person who controls keys is not the person who reads
 *    what they protect. Roles are judged by what ROLE_PERMISSIONS grants, not by their names.
 * Without `access`, the local operator is admin of everything, so both fail.
 */
import { type Permission, ROLE_PERMISSIONS } from "../access/types.js";
import type { AccessPolicy, ComplianceInput, ControlOutcome } from "./types.js";

const OFF = "access control is off (no `access` in the configuration): the local operator is admin of every tenant";

type Grant = AccessPolicy["principals"][string]["roles"][number];
const covers = (g: Grant, tenant: string): boolean => g.tenants.includes("*") || g.tenants.includes(tenant);
const KEY_ADMIN: readonly Permission[] = ["keys", "rewrap"];
const READ_VALUES: readonly Permission[] = ["read"];
/** The roles of the grants covering the tenant that grant any of these permissions. */
const rolesGranting = (grants: readonly Grant[], tenant: string, perms: readonly Permission[]): string[] => [
  ...new Set(grants.filter((g) => covers(g, tenant) && ROLE_PERMISSIONS[g.role].some((p) => perms.includes(p))).map((g) => g.role)),
];

export async function leastPrivilege(input: ComplianceInput): Promise<ControlOutcome> {
  if (!input.access) return { pass: false, evidence: OFF };
  const wildcard = Object.entries(input.access.principals).filter(([, p]) => p.roles.some((g) => g.role === "admin" && g.tenants.includes("*")));
  const bad = wildcard.filter(([, p]) => !p.breakGlass).map(([id]) => id);
  const glass = wildcard.filter(([, p]) => p.breakGlass).map(([id]) => id);
  const n = Object.keys(input.access.principals).length;
  if (bad.length) return { pass: false, evidence: `admin over every tenant ("*") held by principal(s) that are not break-glass: ${bad.join(", ")}` };
  return { pass: true, evidence: `${n} principal(s); no wildcard admin${glass.length ? ` except break-glass ${glass.join(", ")}` : ""}` };
}

export async function separationOfDuties(input: ComplianceInput): Promise<ControlOutcome> {
  if (!input.access) return { pass: false, evidence: OFF };
  const t = input.tenant;
  const principals = Object.entries(input.access.principals).map(([id, p]) => ({
    id,
    breakGlass: Boolean(p.breakGlass),
    keys: rolesGranting(p.roles, t, KEY_ADMIN),
    reads: rolesGranting(p.roles, t, READ_VALUES),
  }));
  const both = principals.filter((p) => !p.breakGlass && p.keys.length && p.reads.length);
  if (both.length) {
    const named = both.map((p) => `${p.id} (${[...new Set([...p.keys, ...p.reads])].join(", ")})`);
    return { pass: false, evidence: `principal(s) both key administrator (keys, rewrap) and reader of values (read) in ${t}: ${named.join(", ")}` };
  }
  const admins = principals.filter((p) => p.keys.length).length;
  const readers = principals.filter((p) => p.reads.length).length;
  return { pass: true, evidence: `${admins} key administrator(s) and ${readers} value reader(s) in ${t}; none is both (break-glass exempt)` };
}
