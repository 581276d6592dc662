/**
 * Least privilege and separation of duties, read from the `access` configuration.
 *
 * A grant covers tenant T when its `tenants` list holds T or "*". Break-glass principals
 * (`breakGlass: true`: emergency accounts, kept sealed and audited) are exempt from both controls.
 *  - least-privilege: no principal holds `admin` over "*" (every tenant).
 *  - separation-of-duties: no principal is both a key administrator (an `admin` grant covering T:
 *    admin is the role that rotates, rewraps and retires keys and changes access) and a reader of
 *    values (a `reader` or `writer` grant covering T), so the person who controls keys is not the
 *    person who reads what they protect.
 * Without `access`, the local operator is admin of everything, so both fail.
 */
import type { AccessPolicy, ComplianceInput, ControlOutcome, GrantRole } from "./types.js";

const OFF = "access control is off (no `access` in the configuration): the local operator is admin of every tenant";

type Grant = AccessPolicy["principals"][string]["roles"][number];
const covers = (g: Grant, tenant: string): boolean => g.tenants.includes("*") || g.tenants.includes(tenant);
const holds = (grants: readonly Grant[], tenant: string, roles: readonly GrantRole[]): boolean =>
  grants.some((g) => roles.includes(g.role) && covers(g, tenant));

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
  const both = Object.entries(input.access.principals)
    .filter(([, p]) => !p.breakGlass && holds(p.roles, t, ["admin"]) && holds(p.roles, t, ["reader", "writer"]))
    .map(([id]) => id);
  if (both.length)
    return { pass: false, evidence: `principal(s) both key administrator (admin) and reader of values (reader/writer) in ${t}: ${both.join(", ")}` };
  const admins = Object.entries(input.access.principals).filter(([, p]) => holds(p.roles, t, ["admin"])).length;
  const readers = Object.entries(input.access.principals).filter(([, p]) => holds(p.roles, t, ["reader", "writer"])).length;
  return { pass: true, evidence: `${admins} key administrator(s) and ${readers} value reader(s) in ${t}; none is both (break-glass exempt)` };
}
