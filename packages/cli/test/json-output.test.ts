// The --json rule (docs/cli.md), over every command: one compact JSON document on one line of stdout
// (an answer, or {"error":…}), NDJSON for streams; the same names for the same things (a secret's
// revision is `version` everywhere). The table must name every command `polyvault --help` lists.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const CONFIG = `
providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror-store }
  archive: { type: file, dir: ./archive-store }
tenants:
  acme: { primary: local, mirrors: [mirror] }
routes:
  m: { source: local, targets: [mirror], tenants: [acme], schedule: "*/5 * * * *", prune: true }
rotation: { defaultIntervalDays: 90 }
backups: { schedule: "0 3 * * *", dir: ./backups, keep: 2 }
`;

type Kind = "document" | "stream";
interface Row {
  readonly args: string[];
  readonly kind?: Kind;
  readonly input?: string;
}

/** In order: later rows rely on what earlier rows made. */
const ROWS: Array<[string, Row]> = [
  ["init", { args: ["init"] }],
  ["secrets set", { args: ["secrets", "set", "DATABASE_URL", "--tenant", "acme", "--value-stdin"], input: "postgresql://x" }],
  ["secrets set (again)", { args: ["secrets", "set", "JWT", "--tenant", "acme", "--generate", "--label", "team=auth"] }],
  ["secrets get", { args: ["secrets", "get", "DATABASE_URL", "--tenant", "acme"] }],
  ["secrets list", { args: ["secrets", "list", "--tenant", "acme"] }],
  ["secrets versions", { args: ["secrets", "versions", "JWT", "--tenant", "acme"] }],
  ["secrets rotate", { args: ["secrets", "rotate", "JWT", "--tenant", "acme"] }],
  ["keys status", { args: ["keys", "status"] }],
  ["keys rotate", { args: ["keys", "rotate"] }],
  ["keys rewrap", { args: ["keys", "rewrap"] }],
  ["keys retire", { args: ["keys", "retire", "1"] }],
  ["env import", { args: ["env", "import", ".env", "--tenant", "acme"] }],
  ["env check", { args: ["env", "check", "--tenant", "acme", "--template", ".env.example"] }],
  ["env export", { args: ["env", "export", "--tenant", "acme"] }],
  ["credentials spotify", { args: ["credentials", "spotify", "--tenant", "acme"] }],
  ["sync plan", { args: ["sync", "plan"] }],
  ["sync apply", { args: ["sync", "apply"] }],
  ["sync run", { args: ["sync", "run"] }],
  ["sync status", { args: ["sync", "status"] }],
  ["migrate", { args: ["migrate", "--tenant", "acme", "--from", "local", "--to", "archive", "--preflight-only"] }],
  ["adopt", { args: ["adopt", "--provider", "archive", "--tenant", "acme"] }],
  ["audit verify", { args: ["audit", "verify"] }],
  ["audit export", { args: ["audit", "export"], kind: "stream" }],
  ["audit public-key", { args: ["audit", "public-key"] }],
  ["compliance check", { args: ["compliance", "check", "--tenant", "acme", "--standard", "soc2"] }],
  ["backup create", { args: ["backup", "create", "--tenant", "acme", "--out", "acme.pvbackup"] }],
  ["backup verify", { args: ["backup", "verify", "acme.pvbackup"] }],
  ["backup restore", { args: ["backup", "restore", "acme.pvbackup", "--dry-run"] }],
  ["rotation due", { args: ["rotation", "due"] }],
  ["rotation run", { args: ["rotation", "run", "--force", "--secret", "JWT"] }],
  ["rotation confirm", { args: ["rotation", "confirm", "JWT", "--tenant", "acme"] }],
  ["rotation run (again)", { args: ["rotation", "run", "--force", "--secret", "JWT"] }],
  ["rotation rollback", { args: ["rotation", "rollback", "JWT", "--tenant", "acme"] }],
  ["rotation status", { args: ["rotation", "status"] }],
  ["jobs list", { args: ["jobs", "list"] }],
  ["jobs run", { args: ["jobs", "run"] }],
  ["backup list", { args: ["backup", "list"] }],
  ["backup drill", { args: ["backup", "drill", "--tenant", "acme"] }],
  ["secrets delete", { args: ["secrets", "delete", "DATABASE_URL", "--tenant", "acme"] }],
  ["audit new-chain", { args: ["audit", "new-chain", "--reason", "json-output test"] }],
  ["demo", { args: ["demo"] }],
];

/** Commands not run here, each with the reason. */
const NOT_RUN: Record<string, string> = {
  serve: "a server: its --json is the gateway's HTTP answers (test/e2e/gateway.test.ts); it prints no document",
  "sync run --watch": "a stream: NDJSON, tested in sync-watch.test.ts",
  run: "runs a program: stdout is the program's own, not Polyvault's (packages/cli/test/run*.test.ts)",
};

/** Every `polyvault <group> <command>` the help lists. */
function listedCommands(sb: ReturnType<typeof sandbox>): string[] {
  const commandsOf = (help: string) =>
    (help.split(/^Commands:$/m)[1] ?? "")
      .split("\n")
      .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined && c !== "help");
  const out: string[] = [];
  for (const group of commandsOf(cli(sb, ["--help"]).out)) {
    const subs = commandsOf(cli(sb, [group, "--help"]).out);
    if (subs.length) for (const s of subs) out.push(`${group} ${s}`);
    else out.push(group);
  }
  return out;
}

/** Every key anywhere in a JSON value. */
function keysOf(v: unknown, acc = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keysOf(x, acc);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      acc.add(k);
      keysOf(x, acc);
    }
  return acc;
}

describe("--json over every command", () => {
  it("one compact JSON document per command (NDJSON for streams), `version` for revisions", () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), CONFIG);
    writeFileSync(join(sb.cwd, ".env"), "SPOTIFY_CLIENT_ID=id\nSPOTIFY_CLIENT_SECRET=secret\n");
    writeFileSync(join(sb.cwd, ".env.example"), "SPOTIFY_CLIENT_ID=\nSPOTIFY_REDIRECT_URI=\n");

    const covered = new Set([...ROWS.map(([name]) => name.replace(/ \(again\)$/, "")), ...Object.keys(NOT_RUN)]);
    const missing = listedCommands(sb).filter((c) => !covered.has(c));
    expect(missing, "commands with no row in this table").toEqual([]);

    const problems: string[] = [];
    const codes: string[] = [];
    for (const [name, row] of ROWS) {
      const r = cli(sb, [...row.args, "--json"], row.input);
      const lines = r.out.split("\n");
      if (!r.out.endsWith("\n") || lines.pop() !== "") problems.push(`${name}: stdout does not end with one newline`);
      if ((row.kind ?? "document") === "document" && lines.length !== 1) problems.push(`${name}: ${lines.length} lines on stdout, expected one document`);
      if (row.kind === "stream" && lines.length < 1) problems.push(`${name}: an empty stream`);
      for (const line of lines) {
        let doc: unknown;
        try {
          doc = JSON.parse(line);
        } catch {
          problems.push(`${name}: not JSON: ${line.slice(0, 80)}`);
          continue;
        }
        if (line !== JSON.stringify(doc)) problems.push(`${name}: not compact`);
        const bad = [...keysOf(doc)].filter((k) => /revision/i.test(k));
        if (bad.length) problems.push(`${name}: field(s) ${bad.join(", ")} (a revision is "version")`);
      }
      codes.push(`${name}: ${r.code}`);
    }
    expect(problems).toEqual([]);
    // The table exercises answers, not only errors: these are the rows expected to fail, and why.
    expect(codes.filter((c) => !c.endsWith(": 0"))).toEqual([
      "env check: 1", // .env.example names SPOTIFY_REDIRECT_URI, which the tenant lacks
      "credentials spotify: 3", // the same variable is missing: {"error":{"code":"NOT_FOUND",…}}
      "compliance check: 1", // no backup drill yet, no access control
    ]);
  }, 240_000);
});
