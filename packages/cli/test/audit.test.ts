/**
 * `polyvault audit verify` on a 10,000-record log and on each kind of tampering, and fail-closed
 * behaviour with the audit file made unwritable (a directory in its place: root ignores chmod).
 */
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "@polyvault/core";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, filesBelow, sandbox } from "../../../test/harness/cli.js";

describe("audit verify on a 10,000-record log", () => {
  const sb = sandbox();
  let all: string[];
  const seqLine = (seq: number) => all.findIndex((l) => JSON.parse(l).seq === seq);
  /** A copy of the data directory with edited log lines; returns the verify result on it. */
  const verifyEdited = (edit: (lines: string[]) => string[]) => {
    const copy = sandbox();
    cpSync(sb.home, copy.home, { recursive: true });
    writeFileSync(join(copy.home, "audit.log"), `${edit([...all]).join("\n")}\n`);
    return cli(copy, ["audit", "verify"]);
  };

  beforeAll(async () => {
    const log = new AuditLog(sb.home, { checkpointEvery: 250 });
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        log.append({ actor: "alice", tenant: "acme", action: "read", name: `s/${i}`, provider: "local", outcome: "ok" }),
      ),
    );
    await log.close();
    all = readFileSync(join(sb.home, "audit.log"), "utf8").trimEnd().split("\n");
  }, 60_000);

  it("an untouched log verifies (exit 0)", () => {
    const r = cli(sb, ["audit", "verify", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, records: 10_000 });
    // The first verify added its own record (audit.verify) and sealed it.
    expect(cli(sb, ["audit", "verify"]).out).toMatch(/: intact\n {2}10001 record\(s\), 4\d signed checkpoint\(s\)\n/);
  });

  it("edit → exit 6 naming the edited record", () => {
    const i = seqLine(5000);
    const r = verifyEdited((l) => l.map((x, j) => (j === i ? x.replace('"actor":"alice"', '"actor":"mallory"') : x)));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`^polyvault: INTEGRITY: audit log .*audit.log: line ${i + 1} \\(record 5000\\) was altered`));
  });

  it("delete → exit 6 naming the deleted record", () => {
    const i = seqLine(5000);
    const r = verifyEdited((l) => l.filter((_, j) => j !== i));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`line ${i + 1} \\(record 5000\\) is missing`));
  });

  it("reorder → exit 6 naming the first displaced record", () => {
    const i = seqLine(5000);
    const r = verifyEdited((l) => {
      [l[i], l[i + 1]] = [l[i + 1] as string, l[i] as string];
      return l;
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`line ${i + 1} \\(record 5000\\) holds record 5001, ahead of its place`));
  });

  it("insert → exit 6 naming the inserted line (--json gives it as firstBad)", () => {
    const i = seqLine(5000);
    const copy = sandbox();
    cpSync(sb.home, copy.home, { recursive: true });
    writeFileSync(join(copy.home, "audit.log"), `${[...all.slice(0, i), all[seqLine(42)], ...all.slice(i)].join("\n")}\n`);
    const r = cli(copy, ["audit", "verify", "--json"]);
    expect(r.code).toBe(6);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: false, firstBad: { line: i + 1, seq: 5000 }, error: { code: "INTEGRITY" } });
    expect(j.error.message).toMatch(/holds record 42 again/);
  });

  it("truncate past the last checkpoint → exit 6 naming the first missing record", () => {
    const keep = seqLine(8000) + 1;
    const r = verifyEdited((l) => l.slice(0, keep));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      new RegExp(
        `line ${keep + 1} \\(record 8001\\) is missing: the log ends at record 8000 but its last signed checkpoint \\(audit.head\\) is record \\d+: records 8001–\\d+ were cut off \\(truncated\\)`,
      ),
    );
  });
});

describe("fail closed: the audit file made unwritable", () => {
  it("refuses writes, reads and deletes (exit 5), changes nothing, withholds values; all is well once it is back", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "kept", "--tenant", "acme", "--value-stdin"], "CANARY-kept-value").code).toBe(0);
    const store = join(sb.home, "store");
    const before = filesBelow(store).map((f) => [f, readFileSync(f).toString("hex")]);
    const logText = readFileSync(join(sb.home, "audit.log"));
    renameSync(join(sb.home, "audit.log"), join(sb.cwd, "audit.log.saved"));
    mkdirSync(join(sb.home, "audit.log"));

    const attempts = [
      cli(sb, ["secrets", "set", "new", "--tenant", "acme", "--value-stdin"], "CANARY-new-value"),
      cli(sb, ["secrets", "set", "kept", "--tenant", "acme", "--value-stdin"], "CANARY-new-value"),
      cli(sb, ["secrets", "rotate", "kept", "--tenant", "acme", "--generate"]),
      cli(sb, ["secrets", "delete", "kept", "--tenant", "acme", "--purge"]),
      cli(sb, ["secrets", "get", "kept", "--tenant", "acme"]),
      cli(sb, ["secrets", "list", "--tenant", "acme"]),
    ];
    for (const r of attempts) {
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^polyvault: UNAVAILABLE: audit log .*audit.log cannot be written \(EISDIR\); the operation is refused\n$/);
      expect(r.out).toBe("");
    }
    expect(filesBelow(store).map((f) => [f, readFileSync(f).toString("hex")])).toEqual(before);

    rmSync(join(sb.home, "audit.log"), { recursive: true });
    renameSync(join(sb.cwd, "audit.log.saved"), join(sb.home, "audit.log"));
    expect(readFileSync(join(sb.home, "audit.log"))).toEqual(logText);
    expect(cli(sb, ["secrets", "get", "new", "--tenant", "acme"]).code).toBe(3);
    expect(cli(sb, ["secrets", "get", "kept", "--tenant", "acme"]).out).toBe("CANARY-kept-value");
    expect(cli(sb, ["audit", "verify"]).code).toBe(0);
    expect(readFileSync(join(sb.home, "audit.log"), "utf8")).not.toContain("CANARY");
  });
});

describe("configuration changes are audited", () => {
  it("a config.change record when the configuration differs from the last one recorded, and only then", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    const changes = () =>
      readFileSync(join(sb.home, "audit.log"), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.action === "config.change")
        .map((e) => e.reason);
    expect(cli(sb, ["secrets", "list", "--tenant", "acme"]).code).toBe(0);
    expect(cli(sb, ["secrets", "list", "--tenant", "acme"]).code).toBe(0);
    expect(changes()).toEqual(["first configuration recorded"]);
    writeFileSync(join(sb.cwd, "polyvault.yaml"), "providers:\n  local: { type: file }\n  other: { type: file, dir: other-store }\n");
    expect(cli(sb, ["secrets", "list", "--tenant", "acme"]).code).toBe(0);
    expect(cli(sb, ["secrets", "list", "--tenant", "acme"]).code).toBe(0);
    expect(changes()).toEqual(["first configuration recorded", "configuration differs from the last one recorded"]);
    expect(readFileSync(join(sb.home, "audit.log"), "utf8")).not.toContain("other-store");
  });
});
