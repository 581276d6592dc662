/**
 * Issue 15 finding 4 through the CLI: a rollback of the audit log (an older audit.log + audit.head put
 * back) and its erasure are exit 6 from `audit verify`, refuse further operations, and only `audit
 * new-chain` (audited) starts over.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

function witnessed() {
  const sb = sandbox();
  const witness = join(mkdtempSync(join(tmpdir(), "pv-witness-")), "witness.json");
  writeFileSync(
    join(sb.cwd, "polyvault.yaml"),
    `providers:\n  local: { type: file }\naudit:\n  checkpointEvery: 5\n  witness: { file: ${JSON.stringify(witness)} }\n`,
  );
  expect(cli(sb, ["init"]).code).toBe(0);
  return { sb, witness };
}

const set = (sb: ReturnType<typeof sandbox>, name: string) => cli(sb, ["secrets", "set", name, "--tenant", "acme", "--value-stdin"], "v");

describe("audit rollback and erasure (CLI)", () => {
  it("rollback: an older audit.log and audit.head put back → exit 6 against the witness; operations refused", () => {
    const { sb } = witnessed();
    for (let i = 0; i < 3; i++) expect(set(sb, `a/${i}`).code).toBe(0);
    const ok = cli(sb, ["audit", "verify"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.out).toMatch(/intact \(and not rolled back: checked against witness file /);
    const keep = (f: string) => copyFileSync(join(sb.home, f), join(sb.cwd, f));
    keep("audit.log");
    keep("audit.head");
    for (let i = 3; i < 6; i++) expect(set(sb, `a/${i}`).code).toBe(0);
    for (const f of ["audit.log", "audit.head"]) copyFileSync(join(sb.cwd, f), join(sb.home, f));
    const r = cli(sb, ["audit", "verify"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /^polyvault: INTEGRITY: audit log .*audit\.log: the log was rolled back: the log ends at record \d+ but the witness file .* holds a signed checkpoint of \d+ entries/,
    );
    const before = readFileSync(join(sb.home, "audit.log"), "utf8");
    const get = cli(sb, ["secrets", "get", "a/0", "--tenant", "acme"]);
    expect(get.code).toBe(6);
    expect(get.stdout.length).toBe(0);
    expect(readFileSync(join(sb.home, "audit.log"), "utf8")).toBe(before);
  });

  it("erasure: audit.log and audit.head deleted → exit 6; writes refused; `audit new-chain` starts over, audited", () => {
    const { sb } = witnessed();
    expect(set(sb, "e/1").code).toBe(0);
    rmSync(join(sb.home, "audit.log"));
    rmSync(join(sb.home, "audit.head"));
    const r = cli(sb, ["audit", "verify"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/rolled back: the log ends at record 0/);
    expect(set(sb, "e/2").code).toBe(6);
    const fresh = cli(sb, ["audit", "new-chain", "--reason", "log lost in incident 7"]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(set(sb, "e/2").code).toBe(0);
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    const first = JSON.parse(readFileSync(join(sb.home, "audit.log"), "utf8").split("\n")[0] as string);
    expect(first).toMatchObject({ seq: 1, action: "audit.new-chain", reason: "log lost in incident 7" });
    expect(cli(sb, ["audit", "verify", "--json"]).out).toMatch(/"witness":".*witness\.json"/);
  });

  it("erasure without a witness is still caught while the signing key remains", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(set(sb, "n/1").code).toBe(0);
    rmSync(join(sb.home, "audit.log"));
    rmSync(join(sb.home, "audit.head"));
    const r = cli(sb, ["audit", "verify"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/audit\.log is missing or empty, but keys\/audit-signing\.key exists/);
  });

  it("a deleted signing key, an edited checkpoint time, an extra checkpoint member, CRLF → exit 6 naming each", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(set(sb, "k/1").code).toBe(0);
    const logPath = join(sb.home, "audit.log");
    const original = readFileSync(logPath, "utf8");
    const head = readFileSync(join(sb.home, "audit.head"), "utf8");
    const lastCheckpoint = (edit: (e: Record<string, unknown>) => void) => {
      const all = original.trimEnd().split("\n");
      const e = JSON.parse(all.at(-1) as string);
      edit(e);
      const text = JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1))));
      writeFileSync(logPath, `${[...all.slice(0, -1), text].join("\n")}\n`);
      writeFileSync(join(sb.home, "audit.head"), `${text}\n`);
    };
    const lines = original.trimEnd().split("\n").length;
    const cases: [string, () => void, RegExp][] = [
      [
        "time",
        () =>
          lastCheckpoint((e) => {
            e.time = "2020-01-01T00:00:00.000Z";
          }),
        new RegExp(`line ${lines} \\(record ${lines}\\) is a checkpoint whose signature does not match`),
      ],
      [
        "extra member",
        () =>
          lastCheckpoint((e) => {
            e.note = "x";
          }),
        /is not an audit entry: unexpected field "note" in a checkpoint/,
      ],
      ["CRLF", () => writeFileSync(logPath, original.replace(/\n/g, "\r\n")), /line 1 \(record 1\) is not in canonical form/],
    ];
    for (const [what, tamper, problem] of cases) {
      tamper();
      const r = cli(sb, ["audit", "verify"]);
      expect(r.code, what).toBe(6);
      expect(r.stderr, what).toMatch(problem);
      writeFileSync(logPath, original);
      writeFileSync(join(sb.home, "audit.head"), head);
    }
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    rmSync(join(sb.home, "keys/audit-signing.key"));
    const r = cli(sb, ["audit", "verify"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/the audit signing key \(keys\/audit-signing\.key\) is missing/);
    const w = set(sb, "k/2");
    expect(w.code).toBe(6);
    expect(w.stderr).toMatch(/audit signing key .* is missing although the log it signed exists/);
    expect(existsSync(join(sb.home, "keys/audit-signing.key"))).toBe(false);
  });
});
