/**
 * Issue 15 finding 3 and issue 14 item 3: every operation that is not a single-secret call (keys, backup,
 * restore, sync, rotation, compliance, migrate, adopt) is authorized, recorded before it acts ("started")
 * and after (its outcome, with a value-free detail), and refused when its record cannot be written, with
 * nothing changed. Each CLI call is a new process, as a user runs it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";
import { CANARY, type Rec, config, records, snapshot } from "./operations-helpers.js";

describe("operations: recorded before and after, with what they did", () => {
  const sb = sandbox();
  beforeAll(() => {
    config(sb.cwd);
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `${CANARY}-${n}`).code).toBe(0);
  });

  it("each operation leaves a started and an outcome record (same requestId, detail without a value)", { timeout: 900_000 }, () => {
    const bundle = join(sb.cwd, "acme.pvb");
    const steps: Array<{ args: string[]; action: string; tenant?: string; name?: string; detail: RegExp; code?: number }> = [
      { args: ["keys", "status"], action: "keys.status", detail: /^current=1 versions=1 unreadable=0$/ },
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
      {
        args: ["keys", "rewrap"],
        action: "keys.rewrap",
        detail: /^keyVersion=2 tenants=1 stores=2 secrets=4 rewrapped=4 alreadyCurrent=0 leftImmutable=0 unreadable=0$/,
      },
      { args: ["keys", "retire", "1"], action: "keys.retire", detail: /^version=1 shredded=0$/ },
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
      { args: ["rotation", "status", "--tenant", "acme"], action: "rotation.status", tenant: "acme", detail: /^pending=0 canaries=0$/ },
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
  it("keys, backup, restore, sync, rotation, compliance, migrate and adopt are refused (exit 5) and change nothing", { timeout: 900_000 }, () => {
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
