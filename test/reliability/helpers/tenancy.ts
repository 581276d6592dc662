/**
 * A sandbox with access control: one principal per role, each granted that role on tenant `home` only,
 * plus `root` (admin on "*") that plants the fixtures. Lockout is set out of reach so that a hundred
 * denials in a row stay denials of the operation, not of a locked principal.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CliSandbox, run, sandbox } from "../../harness/cli.js";

export const ROLES = ["admin", "writer", "reader", "auditor", "operator"] as const;
export type Role = (typeof ROLES)[number];

export interface TenancyBench {
  readonly sb: CliSandbox;
  readonly tokens: Record<Role | "root", string>;
  /** The canary value of secret `s` in each tenant. */
  readonly canary: Record<"home" | "foreign", string>;
}

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

export async function tenancyBench(label: string): Promise<TenancyBench> {
  const tokens = Object.fromEntries([...ROLES, "root"].map((r) => [r, `tok-${r}-${randomBytes(16).toString("hex")}`])) as Record<Role | "root", string>;
  const principals = [...ROLES, "root"].map((r) => {
    const grant = r === "root" ? `{ role: admin, tenants: ["*"] }` : `{ role: ${r}, tenants: [home] }`;
    return `    ${r}: { tokenSha256: "${sha(tokens[r as Role])}", roles: [${grant}] }`;
  });
  const config = [
    "providers:",
    "  local: { type: file }",
    "  mirror: { type: file, dir: ./mirror-store }",
    "tenants:",
    "  home: { primary: local }",
    "  foreign: { primary: local }",
    "routes:",
    "  m: { source: local, targets: [mirror], tenants: [home, foreign] }",
    "access:",
    "  principals:",
    ...principals,
    "  lockout: { maxFailures: 1000000, windowSeconds: 1, lockSeconds: 1 }",
    "",
  ].join("\n");
  const sb = sandbox({ prefix: label, config });
  const canary = { home: `CANARY-home-${randomBytes(8).toString("hex")}`, foreign: `CANARY-foreign-${randomBytes(8).toString("hex")}` };
  const root = { POLYVAULT_TOKEN: tokens.root };
  const must = async (args: string[], input?: string) => {
    const r = await run(sb, args, { env: root, ...(input === undefined ? {} : { input }) });
    if (r.code !== 0) throw new Error(`fixture: polyvault ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  };
  await must(["init"]);
  writeFileSync(join(sb.cwd, "vars.env"), "SPOTIFY_CLIENT_ID=id\nSPOTIFY_CLIENT_SECRET=cs\nSPOTIFY_REDIRECT_URI=https://example.test/cb\n");
  writeFileSync(join(sb.cwd, "template.env"), "s=\n");
  for (const t of ["home", "foreign"] as const) {
    await must(["secrets", "set", "s", "--tenant", t, "--value-stdin"], canary[t]);
    await must(["secrets", "set", "gone", "--tenant", t, "--value-stdin"], `gone-${t}`);
    await must(["env", "import", "vars.env", "--tenant", t]);
    await must(["backup", "create", "--tenant", t, "--out", `${t}.bundle`]);
  }
  return { sb, tokens, canary };
}

/** Every CLI operation that names a tenant, as argv for tenant `t` (`who` keeps output files apart). */
export function cliOperations(t: string, who: string): Array<{ op: string; args: string[]; input?: string }> {
  return [
    { op: "secrets get", args: ["secrets", "get", "s", "--tenant", t] },
    { op: "secrets set", args: ["secrets", "set", "s", "--tenant", t, "--value-stdin"], input: `written-by-${who}` },
    { op: "secrets list", args: ["secrets", "list", "--tenant", t] },
    { op: "secrets versions", args: ["secrets", "versions", "s", "--tenant", t] },
    { op: "secrets rotate", args: ["secrets", "rotate", "s", "--tenant", t, "--generate"] },
    { op: "secrets delete", args: ["secrets", "delete", "gone", "--tenant", t] },
    { op: "env import", args: ["env", "import", "vars.env", "--tenant", t] },
    { op: "env export", args: ["env", "export", "--tenant", t] },
    { op: "env check", args: ["env", "check", "--tenant", t, "--template", "template.env"] },
    { op: "credentials spotify", args: ["credentials", "spotify", "--tenant", t] },
    { op: "keys rewrap", args: ["keys", "rewrap", "--tenant", t] },
    { op: "sync plan", args: ["sync", "plan", "--tenant", t] },
    { op: "sync apply", args: ["sync", "apply", "--tenant", t] },
    { op: "migrate", args: ["migrate", "--tenant", t, "--from", "local", "--to", "mirror", "--preflight-only"] },
    { op: "adopt", args: ["adopt", "--provider", "local", "--tenant", t] },
    { op: "compliance check", args: ["compliance", "check", "--tenant", t, "--standard", "soc2"] },
    { op: "backup create", args: ["backup", "create", "--tenant", t, "--out", `out-${who}-${t}.bundle`] },
    { op: "backup restore", args: ["backup", "restore", `${t}.bundle`, "--tenant", t] },
    { op: "rotation due", args: ["rotation", "due", "--tenant", t] },
    { op: "rotation run", args: ["rotation", "run", "--tenant", t, "--secret", "s", "--force"] },
  ];
}
