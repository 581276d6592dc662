/**
 * Issue 15 finding 3 and issue 14 item 3: every operation that is not a single-secret call (keys, backup,
 * restore, sync, rotation, compliance, migrate, adopt) is authorized, recorded before it acts ("started")
 * and after (its outcome, with a value-free detail), and refused when its record cannot be written, with
 * nothing changed. Each CLI call is a new process, as a user runs it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, filesBelow, sandbox } from "./helpers.js";

const CANARY = "CANARY-ops-5b1e0c";

interface Rec {
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

const records = (home: string): Rec[] =>
  readFileSync(join(home, "audit.log"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Rec)
    .filter((e) => e.type === "record");

function config(cwd: string, extra = ""): void {
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
function snapshot(cwd: string): Array<[string, string]> {
  return filesBelow(cwd)
    .filter((f) => !/audit\.(log|head|lock)|audit\.log\.saved/.test(f))
    .map((f) => [relative(cwd, f), createHash("sha256").update(readFileSync(f)).digest("hex")] as [string, string])
    .sort();
}

describe("operations: recorded before and after, with what they did", () => {
  const sb = sandbox();
  beforeAll(() => {
    config(sb.cwd);
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `${CANARY}-${n}`).code).toBe(0);
  });

  it("each operation leaves a started and an outcome record (same requestId, detail without a value)", () => {
    const bundle = join(sb.cwd, "acme.pvb");
    const steps: Array<{ args: string[]; action: string; tenant?: string; name?: string; detail: RegExp; code?: number }> = [
      { args: ["keys", "status"], action: "keys.status", detail: /^current=1 versions=1$/ },
      {
        args: ["backup", "create", "--tenant", "acme", "--out", bundle],
        action: "backup.create",
        tenant: "acme",
        detail: /^provider=local secrets=2 versions=2 bytes=\d+ skipped=0$/,
      },
      { args: ["backup", "verify", bundle], action: "backup.verify", detail: /^bundleTenant=acme secrets=2 versions=2$/ },
      {
        args: ["backup", "restore", bundle, "--dry-run"],
        action: "backup.restore",
        tenant: "acme",
        detail: /^dryRun=true create=0 append=0 overwrite=0 skip=2 conflict=0 keyring=compatible bundleSecrets=2 bundleVersions=2$/,
      },
      {
        args: ["backup", "restore", bundle],
        action: "backup.restore",
        tenant: "acme",
        detail: /^dryRun=false create=0 append=0 overwrite=0 skip=2 conflict=0 keyring=compatible /,
      },
      { args: ["keys", "rotate"], action: "keys.rotate", detail: /^from=1 to=2$/ },
      { args: ["keys", "rewrap"], action: "keys.rewrap", detail: /^keyVersion=2 tenants=1 secrets=2 rewrapped=2 alreadyCurrent=0 leftImmutable=0$/ },
      { args: ["keys", "retire", "1"], action: "keys.retire", detail: /^version=1$/ },
      { args: ["sync", "plan", "--tenant", "acme"], action: "sync.plan", tenant: "acme", detail: /^create=0 update=0 delete=0 noop=2 drift=0 conflict=0/ }, // pushed on write already
      { args: ["sync", "apply"], action: "sync.apply", detail: /^routes=1 skipped=0 created=0 updated=0 repaired=0 deleted=0 failed=0 leftForReview=0$/ },
      { args: ["sync", "status"], action: "sync.status", detail: /^routes=1$/ },
      { args: ["sync", "run"], action: "sync.run", detail: /^routes=0 skipped=0 created=0 / },
      { args: ["rotation", "due", "--tenant", "acme"], action: "rotation.due", tenant: "acme", detail: /^checked=2 due=0 overdue=0$/ },
      {
        args: ["rotation", "run", "--tenant", "acme", "--secret", "a", "--force"],
        action: "rotation.run",
        tenant: "acme",
        name: "a",
        detail: /^staged=1 confirmed=0 skipped=0 failed=0$/,
      },
      {
        args: ["rotation", "confirm", "a", "--tenant", "acme"],
        action: "rotation.confirm",
        tenant: "acme",
        name: "a",
        detail: /^revision=2 previousRevision=1$/,
      },
      { args: ["rotation", "run", "--tenant", "acme", "--secret", "b", "--force"], action: "rotation.run", tenant: "acme", name: "b", detail: /^staged=1 / },
      {
        args: ["rotation", "rollback", "b", "--tenant", "acme"],
        action: "rotation.rollback",
        tenant: "acme",
        name: "b",
        detail: /^restoredRevision=1 revision=3$/,
      },
      {
        args: ["compliance", "check", "--tenant", "acme", "--standard", "soc2"],
        action: "compliance.check",
        tenant: "acme",
        detail: /^standard=soc2 pass=(true|false) controls=\d+ failed=\d+$/,
        code: -1,
      },
      {
        args: ["migrate", "--tenant", "acme", "--from", "local", "--to", "other", "--preflight-only"],
        action: "migrate",
        tenant: "acme",
        detail: /^stage=preflight-only from=local to=other secrets=2 problems=0$/,
      },
      {
        args: ["adopt", "--provider", "other", "--tenant", "acme"],
        action: "adopt",
        tenant: "acme",
        detail: /^provider=other confirm=false secrets=0 adopted=0$/,
      },
    ];
    for (const s of steps) {
      const before = records(sb.home).length;
      const r = cli(sb, s.args);
      if (s.code !== -1) expect(r.code, `${s.args.join(" ")}: ${r.stderr}`).toBe(s.code ?? 0);
      const mine = records(sb.home)
        .slice(before)
        .filter((e) => e.action === s.action);
      expect(
        mine.map((e) => e.outcome),
        s.args.join(" "),
      ).toEqual(["started", "ok"]);
      const [started, done] = mine as [Rec, Rec];
      expect(started.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(done.requestId).toBe(started.requestId);
      expect([started.actor, started.tenant, started.name]).toEqual(["local-operator", s.tenant, s.name]);
      expect(started.detail).toBeUndefined();
      expect(done.detail, s.args.join(" ")).toMatch(s.detail);
    }
    // A bundle that does not verify: its tenant is unknown, so the refused attempt is recorded without one.
    const forged = readFileSync(bundle);
    forged[forged.length - 10] = (forged[forged.length - 10] as number) ^ 1;
    writeFileSync(join(sb.cwd, "forged.pvb"), forged);
    const before = records(sb.home).length;
    expect(cli(sb, ["backup", "restore", join(sb.cwd, "forged.pvb")]).code).toBe(6);
    expect(
      records(sb.home)
        .slice(before)
        .map((e) => [e.action, e.outcome, e.tenant, e.detail]),
    ).toEqual([["backup.restore", "INTEGRITY", undefined, "dryRun=false"]]);
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    expect(readFileSync(join(sb.home, "audit.log"), "utf8")).not.toContain("CANARY");
  });
});

describe("operations fail closed: the audit log made unwritable", () => {
  it("keys, backup, restore, sync, rotation, compliance, migrate and adopt are refused (exit 5) and change nothing", () => {
    const sb = sandbox();
    config(sb.cwd);
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `${CANARY}-${n}`).code).toBe(0);
    const bundle = join(sb.cwd, "acme.pvb");
    expect(cli(sb, ["backup", "create", "--tenant", "acme", "--out", bundle]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "a", "--tenant", "acme", "--value-stdin"], `${CANARY}-a2`).code).toBe(0); // the restore would append
    expect(cli(sb, ["keys", "rotate"]).code).toBe(0); // a rewrap would have work to do; retire 1 is refused only by the audit log
    expect(cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "b", "--force"]).code).toBe(0); // staged: confirm/rollback would act
    writeFileSync(join(sb.cwd, "other-store.keep"), ""); // (the working directory is part of the snapshot)
    const before = snapshot(sb.cwd);

    renameSync(join(sb.home, "audit.log"), join(sb.cwd, "audit.log.saved"));
    mkdirSync(join(sb.home, "audit.log"));
    const out2 = join(sb.cwd, "second.pvb");
    const attempts = [
      ["keys", "rotate"],
      ["keys", "rewrap"],
      ["keys", "retire", "1"],
      ["keys", "status"],
      ["backup", "create", "--tenant", "acme", "--out", out2],
      ["backup", "verify", bundle],
      ["backup", "restore", bundle],
      ["backup", "restore", bundle, "--dry-run"],
      ["sync", "plan"],
      ["sync", "apply"],
      ["sync", "run"],
      ["sync", "status"],
      ["rotation", "due"],
      ["rotation", "run", "--tenant", "acme", "--secret", "a", "--force"],
      ["rotation", "confirm", "b", "--tenant", "acme"],
      ["rotation", "rollback", "b", "--tenant", "acme"],
      ["compliance", "check", "--tenant", "acme", "--standard", "gdpr"],
      ["migrate", "--tenant", "acme", "--from", "local", "--to", "other"],
      ["adopt", "--provider", "other", "--tenant", "acme", "--confirm"],
    ];
    for (const args of attempts) {
      const r = cli(sb, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toMatch(/^polyvault: UNAVAILABLE: audit log .*audit\.log cannot be written \(EISDIR\); the operation is refused\n$/);
      expect(r.out).toBe("");
    }
    expect(existsSync(out2)).toBe(false);
    expect(snapshot(sb.cwd)).toEqual(before);

    rmSync(join(sb.home, "audit.log"), { recursive: true });
    renameSync(join(sb.cwd, "audit.log.saved"), join(sb.home, "audit.log"));
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    expect(cli(sb, ["keys", "retire", "1"]).code).toBe(1); // still protects versions: the refused rewrap did nothing
    expect(cli(sb, ["secrets", "get", "a", "--tenant", "acme"]).out).toBe(`${CANARY}-a2`);
  });
});

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

  it("a reader of acme is refused each operation (exit 4), and each refusal is a denied record naming the operation", () => {
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
  it("editing, stripping or moving the detail, renaming the action, or deleting the write-ahead record fails audit verify (exit 6)", () => {
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
