// What a person gets who types the command without a subcommand, or asks for help or the version.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

const VERSION = JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")).version as string;

describe("usage", () => {
  const sb = sandbox();

  it("`polyvault` alone prints the help on stderr and exits 2", () => {
    const r = cli(sb, []);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.stderr).toMatch(/^Usage: polyvault \[options\] \[command\]/);
    expect(r.stderr).toMatch(/\n {2}secrets\b/);
  });

  it.each([["secrets"], ["keys"], ["env"], ["sync"], ["audit"], ["backup"], ["rotation"], ["compliance"]])(
    "`polyvault %s` with no subcommand prints that command's help on stderr and exits 2",
    (group) => {
      const r = cli(sb, [group]);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^Usage: polyvault ${group} \\[options\\] \\[command\\]`));
    },
  );

  it("--version prints the version on stdout and exits 0", () => {
    for (const flag of ["--version", "-V"]) {
      const r = cli(sb, [flag]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${VERSION}\n`);
      expect(r.stderr).toBe("");
    }
  });

  it("--help prints the help on stdout and exits 0", () => {
    const r = cli(sb, ["secrets", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: polyvault secrets/);
    expect(r.stderr).toBe("");
  });

  it("an unknown command is one error line on stderr, exit 2", () => {
    const r = cli(sb, ["secrets", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("polyvault: INVALID_INPUT: unknown command 'bogus'\n");
    expect(r.out).toBe("");
  });
});
