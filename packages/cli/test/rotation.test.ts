import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, filesContaining, sandbox } from "../../../test/harness/cli.js";

const CANARY = "CANARY-cli-rotation-a17b";
const DAY = 86_400_000;

/** Moves a file-provider secret's current version back in time (its header's createdAt). */
function age(home: string, tenant: string, name: string, days: number): void {
  const file = join(home, "store", tenant, "s", name, "v0000000001.pv");
  const buf = readFileSync(file);
  const len = buf.readUInt32BE(4);
  const header = JSON.parse(buf.subarray(8, 8 + len).toString("utf8"));
  header.createdAt = new Date(Date.now() - days * DAY).toISOString();
  const json = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(4);
  size.writeUInt32BE(json.length);
  writeFileSync(file, Buffer.concat([buf.subarray(0, 4), size, json, buf.subarray(8 + len)]));
}

const clean = (...rs: CliResult[]) => {
  for (const r of rs) expect(`${r.out}${r.stderr}`).not.toContain(CANARY);
};

describe("rotation due / run / confirm / rollback", () => {
  const sb = sandbox();
  const script = join(sb.cwd, "new-token.sh");
  const set = (t: string, name: string, value: string) => expect(cli(sb, ["secrets", "set", name, "--tenant", t, "--value-stdin"], value).code).toBe(0);
  const get = (t: string, name: string, version?: number) =>
    cli(sb, ["secrets", "get", name, "--tenant", t, ...(version ? ["--version", String(version)] : [])]).out;

  beforeAll(() => {
    writeFileSync(script, `#!/bin/sh\nprintf '%s-%s\\n' '${CANARY}' "$POLYVAULT_SECRET_NAME"\n`);
    chmodSync(script, 0o700);
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      [
        "providers: { local: { type: file } }",
        "rotation:",
        "  defaultIntervalDays: 30",
        "  dueSoonDays: 5",
        "  policies:",
        `    - { secrets: "cmd/*", intervalDays: 30, command: ["${script}"] }`,
        `    - { secrets: "broken", intervalDays: 30, command: "/nonexistent/rotate" }`,
      ].join("\n"),
    );
    expect(cli(sb, ["init"]).code).toBe(0);
    set("acme", "old", `${CANARY}-old`);
    set("acme", "soon", `${CANARY}-soon`);
    set("acme", "fresh", `${CANARY}-fresh`);
    set("globex", "old", `${CANARY}-g`);
    age(sb.home, "acme", "old", 40);
    age(sb.home, "acme", "soon", 27);
    age(sb.home, "globex", "old", 40);
  });

  it("due lists due and overdue secrets from heads; --all adds the rest; --exit-code reports overdue", () => {
    const r = cli(sb, ["rotation", "due", "--tenant", "acme", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out).secrets.map((s: { name: string; status: string; version: number; policy: string }) => [
      s.name,
      s.status,
      s.version,
      s.policy,
    ]);
    expect(rows).toEqual([
      ["old", "overdue", 1, "default"],
      ["soon", "due", 1, "default"],
    ]);
    expect(JSON.parse(cli(sb, ["rotation", "due", "--all", "--tenant", "acme", "--json"]).out).secrets).toHaveLength(3);
    expect(JSON.parse(cli(sb, ["rotation", "due", "--json"]).out).secrets.map((s: { tenant: string }) => s.tenant)).toEqual(["acme", "acme", "globex"]);
    const human = cli(sb, ["rotation", "due", "--tenant", "acme", "--exit-code"]);
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/^TENANT\s+NAME\s+STATUS\s+REVISION\s+LAST ROTATED\s+NEXT DUE\s+POLICY\nacme\s+old\s+overdue\s+1\s/);
    clean(r, human);
  });

  it("run stages the due ones (previous revision still readable), confirm promotes, rollback restores the old value", () => {
    const run = cli(sb, ["rotation", "run", "--tenant", "acme", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.out);
    expect(out.summary).toEqual({ staged: 2, confirmed: 0, skipped: 0, failed: 0, rolledBack: 0 });
    expect(
      out.results.map((x: { name: string; outcome: string; fromVersion: number; toVersion: number }) => [x.name, x.outcome, x.fromVersion, x.toVersion]),
    ).toEqual([
      ["old", "staged", 1, 2],
      ["soon", "staged", 1, 2],
    ]);
    expect(get("acme", "old")).not.toBe(`${CANARY}-old`);
    expect(get("acme", "old", 1)).toBe(`${CANARY}-old`);
    expect(JSON.parse(cli(sb, ["rotation", "due", "--tenant", "acme", "--json"]).out).secrets.map((s: { status: string }) => s.status)).toEqual([
      "pending",
      "pending",
    ]);

    const ok = cli(sb, ["rotation", "confirm", "old", "--tenant", "acme", "--json"]);
    expect(JSON.parse(ok.out)).toEqual({ tenant: "acme", name: "old", confirmed: true, version: 2, previousVersion: 1 });
    const back = cli(sb, ["rotation", "rollback", "soon", "--tenant", "acme"]);
    expect(back.out).toBe("acme/soon: the value of revision 1 is current again, as revision 3\n");
    expect(get("acme", "soon")).toBe(`${CANARY}-soon`);
    expect(JSON.parse(cli(sb, ["rotation", "due", "--tenant", "acme", "--json"]).out).secrets).toEqual([]);

    const none = cli(sb, ["rotation", "confirm", "old", "--tenant", "acme"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe("polyvault: NOT_FOUND: no rotation of acme/old is pending\n");
    clean(run, ok, back, none);
  });

  it("a policy's command makes the value (run with --force --confirm); it never shows in output or in clear on disk", () => {
    set("acme", "cmd/token", "initial");
    const r = cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "cmd/token", "--force", "--confirm"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatch(/acme\s+cmd\/token\s+confirmed\s+1\s+2/);
    expect(get("acme", "cmd/token")).toBe(`${CANARY}-cmd/token`);
    expect(filesContaining(sb.home, Buffer.from(CANARY))).toEqual([]);
    clean(r);
  });

  it("a failing command is reported (exit 1) and changes nothing", () => {
    set("acme", "broken", "keep-me");
    const r = cli(sb, ["rotation", "run", "--tenant", "acme", "--secret", "broken", "--force", "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).results[0]).toMatchObject({
      name: "broken",
      outcome: "failed",
      reason: "INVALID_INPUT: rotation command of policies[1] (/nonexistent/rotate) for acme/broken cannot be run (ENOENT)",
    });
    expect(get("acme", "broken")).toBe("keep-me");
    expect(JSON.parse(cli(sb, ["rotation", "due", "--json"]).out).secrets.filter((s: { status: string }) => s.status === "pending")).toEqual([]);
  });

  it("refuses --force without --secret, an unknown secret, and a bad name, changing nothing", () => {
    const before = cli(sb, ["secrets", "versions", "fresh", "--tenant", "acme", "--json"]).out;
    const force = cli(sb, ["rotation", "run", "--force"]);
    expect(force.code).toBe(2);
    expect(force.stderr).toBe("polyvault: INVALID_INPUT: --force needs --secret NAME (forcing every secret of every tenant is refused)\n");
    const unknown = cli(sb, ["rotation", "run", "--secret", "nope", "--force"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe('polyvault: NOT_FOUND: secret "nope" not found in any tenant\n');
    expect(cli(sb, ["rotation", "run", "--secret", "../x"]).code).toBe(2);
    expect(cli(sb, ["secrets", "versions", "fresh", "--tenant", "acme", "--json"]).out).toBe(before);
  });
});
