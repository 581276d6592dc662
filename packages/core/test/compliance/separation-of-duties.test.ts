// separation-of-duties checks what roles grant (ROLE_PERMISSIONS), not role names: a principal whose
// grants covering the tenant include key administration (`keys`/`rewrap`) and reading values (`read`)
// fails. Built from docs/compliance.md's "A configuration that passes", read from the page itself.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type AccessPolicy, AccessControl, type ComplianceInput, RotationPolicies, checkCompliance } from "../../src/index.js";
import { setup } from "../rotation/support.js";

const DOC = readFileSync(resolve(import.meta.dirname, "../../../../docs/compliance.md"), "utf8");

/** The YAML block under the "A configuration that passes" heading. */
function documentedConfig(): { access: AccessPolicy } {
  const section = DOC.split(/^## A configuration that passes$/m)[1] ?? "";
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("docs/compliance.md has no YAML block under 'A configuration that passes'");
  return parse(block) as { access: AccessPolicy };
}

async function sod(access: AccessPolicy) {
  const s = await setup("acme");
  const input: ComplianceInput = {
    tenant: s.tenant,
    stores: [{ provider: s.provider, role: "primary", encryption: "envelope", location: "local" }],
    keyring: s.keyring,
    policies: new RotationPolicies(),
    access,
    drills: [],
  };
  const report = await checkCompliance(input, "soc2");
  const c = report.controls.find((x) => x.id === "separation-of-duties");
  if (!c) throw new Error("no separation-of-duties control");
  return c;
}

describe("separation-of-duties, from docs/compliance.md's passing configuration", () => {
  it("passes as documented, and no non-break-glass principal there can both administer keys and read a value", async () => {
    const { access } = documentedConfig();
    const c = await sod(access);
    expect(c.pass, c.evidence).toBe(true);
    // What the control claims, checked against what the access control actually allows.
    const ac = new AccessControl({
      principals: Object.fromEntries(Object.entries(access.principals).map(([id, p]) => [id, { ...p, tokenSha256: "0".repeat(64) }])),
    });
    for (const [id, p] of Object.entries(access.principals)) {
      if (p.breakGlass) continue;
      const keys = ac.authorize(id, "acme", "keys").allowed || ac.authorize(id, "*", "keys").allowed;
      const reads = ac.authorize(id, "acme", "read", "app/x").allowed;
      expect(keys && reads, `${id} administers keys and reads values`).toBe(false);
    }
    // The documented key administrator can run the key commands, and cannot read a value.
    const keyAdmins = Object.keys(access.principals).filter((id) => !access.principals[id]?.breakGlass && ac.authorize(id, "*", "keys").allowed);
    expect(keyAdmins.length).toBeGreaterThan(0);
  });

  it("fails when the documented key administrator is given `admin` instead (admin grants read)", async () => {
    const { access } = documentedConfig();
    const [keyAdmin] = Object.entries(access.principals).find(([, p]) => !p.breakGlass && p.roles.some((g) => g.role === "key-admin")) ?? [];
    expect(keyAdmin).toBeDefined();
    const swapped: AccessPolicy = {
      principals: { ...access.principals, [keyAdmin as string]: { roles: [{ role: "admin", tenants: ["acme"] }] } },
    };
    const c = await sod(swapped);
    expect([c.pass, c.evidence]).toEqual([
      false,
      `principal(s) both key administrator (keys, rewrap) and reader of values (read) in acme: ${keyAdmin} (admin)`,
    ]);
  });

  it("a principal with only the admin role, on the tenant alone, fails (the issue's case)", async () => {
    const c = await sod({ principals: { ops: { roles: [{ role: "admin", tenants: ["acme"] }] } } });
    expect([c.pass, c.evidence]).toEqual([false, "principal(s) both key administrator (keys, rewrap) and reader of values (read) in acme: ops (admin)"]);
  });

  it("key-admin and reader held by two principals pass; both held by one fails, naming the roles", async () => {
    const split = await sod({
      principals: { k: { roles: [{ role: "key-admin", tenants: ["*"] }] }, app: { roles: [{ role: "reader", tenants: ["acme"] }] } },
    });
    expect([split.pass, split.evidence]).toEqual([true, "1 key administrator(s) and 1 value reader(s) in acme; none is both (break-glass exempt)"]);
    const one = await sod({
      principals: {
        k: {
          roles: [
            { role: "key-admin", tenants: ["*"] },
            { role: "writer", tenants: ["acme"] },
          ],
        },
      },
    });
    expect([one.pass, one.evidence]).toEqual([
      false,
      "principal(s) both key administrator (keys, rewrap) and reader of values (read) in acme: k (key-admin, writer)",
    ]);
  });
});
