/**
 * Issue 18 item 11 and issue 15 finding 12: each denial of an operation (keys, backup, restore, sync,
 * rotation — confirm and rollback included —, compliance, migrate, adopt) is audited under the
 * operation's action, not only answered with exit 4; and an operation's records cannot be altered
 * unnoticed.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";
import { CANARY, config, records } from "./operations-helpers.js";

describe("denials of operations are audited, not only exit 4", () => {
  const sha = (t: string) => createHash("sha256").update(t).digest("hex");
  const TOKENS = { root: "root-token-ops-0123", reader: "reader-token-ops-4567" };
  const sb = sandbox();
  const as = (who: keyof typeof TOKENS, args: string[]) => cli(sb, args, "", { POLYVAULT_TOKEN: TOKENS[who] });
  beforeAll(() => {
    config(
      sb.cwd,
      [
        "access:",
        "  principals:",
        `    root: { tokenSha256: "${sha(TOKENS.root)}", roles: [{ role: admin, tenants: ["*"] }] }`,
        `    reader: { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [acme] }] }`,
        "  lockout: { maxFailures: 1000, windowSeconds: 300, lockSeconds: 1 }",
      ].join("\n"),
    );
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b"]) expect(as("root", ["secrets", "set", n, "--tenant", "acme", "--value-stdin"]).code).toBe(0);
    expect(as("root", ["backup", "create", "--tenant", "acme", "--out", join(sb.cwd, "acme.pvb")]).code).toBe(0);
    expect(as("root", ["rotation", "run", "--tenant", "acme", "--secret", "a", "--force"]).code).toBe(0);
  });

  it("a reader of acme is refused each operation (exit 4), and each refusal is a denied record naming the operation", { timeout: 900_000 }, () => {
    const cases: Array<{ args: string[]; action: string; tenant?: string; permission: string }> = [
      { args: ["keys", "status"], action: "keys.status", permission: "keys" },
      { args: ["keys", "rotate"], action: "keys.rotate", permission: "keys" },
      { args: ["keys", "rewrap", "--tenant", "acme"], action: "keys.rewrap", tenant: "acme", permission: "rewrap" },
      { args: ["keys", "retire", "1"], action: "keys.retire", permission: "keys" },
      { args: ["backup", "create", "--tenant", "acme", "--out", join(sb.cwd, "x.pvb")], action: "backup.create", tenant: "acme", permission: "backup" },
      { args: ["backup", "verify", join(sb.cwd, "acme.pvb")], action: "backup.verify", permission: "backup" },
      { args: ["backup", "restore", join(sb.cwd, "acme.pvb")], action: "backup.restore", tenant: "acme", permission: "restore" },
      { args: ["sync", "plan"], action: "sync.plan", permission: "sync" },
      { args: ["sync", "apply", "--tenant", "acme"], action: "sync.apply", tenant: "acme", permission: "sync" },
      { args: ["sync", "run"], action: "sync.run", permission: "sync" },
      { args: ["sync", "status"], action: "sync.status", permission: "sync" },
      { args: ["rotation", "due"], action: "rotation.due", permission: "list" },
      { args: ["rotation", "run", "--tenant", "acme"], action: "rotation.run", tenant: "acme", permission: "rotate" },
      { args: ["rotation", "confirm", "a", "--tenant", "acme"], action: "rotation.confirm", tenant: "acme", permission: "rotate" },
      { args: ["rotation", "rollback", "a", "--tenant", "acme"], action: "rotation.rollback", tenant: "acme", permission: "rotate" },
      { args: ["rotation", "status"], action: "rotation.status", permission: "list" },
      { args: ["compliance", "check", "--tenant", "acme", "--standard", "hipaa"], action: "compliance.check", tenant: "acme", permission: "compliance" },
      { args: ["migrate", "--tenant", "acme", "--from", "local", "--to", "other"], action: "migrate", tenant: "acme", permission: "sync" },
      { args: ["adopt", "--provider", "other", "--tenant", "acme"], action: "adopt", tenant: "acme", permission: "write" },
    ];
    for (const c of cases) {
      const before = records(sb.home).length;
      const r = as("reader", c.args);
      const where = c.tenant ? `in tenant ${c.tenant}` : 'outside a tenant \\(needs a grant on tenants: \\["\\*"\\]\\)';
      const reason = new RegExp(`^no role of principal reader grants ${c.permission}( on secret "a")? ${where}$`);
      expect(r.code, `${c.args.join(" ")}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/^polyvault: ACCESS_DENIED: no role of principal reader grants /);
      const mine = records(sb.home)
        .slice(before)
        .filter((e) => e.actor === "reader");
      expect(
        mine.map((e) => [e.action, e.outcome, e.tenant]),
        c.args.join(" "),
      ).toEqual([[c.action, "denied", c.tenant]]);
      expect(mine[0]?.reason).toMatch(reason);
    }
    // rotation confirm had no authorization check (issue 15, finding 12): the staged rotation is still pending.
    const due = JSON.parse(as("root", ["rotation", "due", "--tenant", "acme", "--json"]).out);
    expect(due.secrets.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([["a", "pending"]]);
    expect(existsSync(join(sb.cwd, "x.pvb"))).toBe(false);
  });
});

describe("an operation's records cannot be altered unnoticed", () => {
  it("editing, stripping or moving the detail, renaming the action, or deleting the write-ahead record fails audit verify (exit 6)", {
    timeout: 900_000,
  }, () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "a", "--tenant", "acme", "--value-stdin"], `${CANARY}-t`).code).toBe(0);
    expect(cli(sb, ["keys", "rotate"]).code).toBe(0);
    expect(cli(sb, ["backup", "create", "--tenant", "acme", "--out", join(sb.cwd, "b.pvb")]).code).toBe(0);
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    const path = join(sb.home, "audit.log");
    const headPath = join(sb.home, "audit.head");
    const genuine = readFileSync(path, "utf8");
    const genuineHead = readFileSync(headPath, "utf8");
    const lines = genuine.trimEnd().split("\n");
    const find = (action: string, outcome: string) => lines.findIndex((l) => l.includes(`"action":"${action}"`) && l.includes(`"outcome":"${outcome}"`));
    const rotated = find("keys.rotate", "ok");
    const exported = find("backup.create", "ok");
    expect(lines[rotated]).toContain('"detail":"from=1 to=2"');
    const edits: Array<[string, (l: string[]) => string[]]> = [
      ["detail edited", (l) => l.map((x, i) => (i === rotated ? x.replace("to=2", "to=3") : x))],
      ["detail stripped", (l) => l.map((x, i) => (i === exported ? x.replace(/"detail":"[^"]*",/, "") : x))],
      [
        "detail moved to another record",
        (l) =>
          l.map((x, i) =>
            i === rotated ? x.replace('"detail":"from=1 to=2",', "") : i === exported ? x.replace(/"detail":"[^"]*"/, '"detail":"from=1 to=2"') : x,
          ),
      ],
      ["action renamed", (l) => l.map((x, i) => (i === rotated ? x.replace('"action":"keys.rotate"', '"action":"keys.status"') : x))],
      ["write-ahead record deleted", (l) => l.filter((_, i) => i !== find("keys.rotate", "started"))],
      ["outcome record deleted", (l) => l.filter((_, i) => i !== exported)],
    ];
    for (const [what, edit] of edits) {
      writeFileSync(path, `${edit(lines).join("\n")}\n`);
      const r = cli(sb, ["audit", "verify"]);
      expect(r.code, what).toBe(6);
      expect(r.stderr, what).toMatch(/^polyvault: INTEGRITY: audit log .*: line \d+/);
      // (verify records itself: put back the log and its head as they were)
      writeFileSync(path, genuine);
      writeFileSync(headPath, genuineHead);
    }
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
  });
});
