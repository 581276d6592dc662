/**
 * Issue 15 finding 7 (and issue 13 item 7's export part): `env export` output was not safe to source —
 * `$(id > /tmp/pwned)` ran — and `a\"b\\c` did not come back from export + import. Each format is read
 * back by the parser people use for it, byte for byte, with values that break naive quoting; sourcing
 * any output runs nothing; what a format cannot carry is refused, naming the variable, printing nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as dotenvParse } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as yamlParse } from "yaml";
import { cli, sandbox } from "../../../test/harness/cli.js";

const sb = sandbox();
const PWNED = join(sb.cwd, "pwned");

/** Values every format must carry (dotenv included). */
const COMMON: Record<string, string> = {
  SUBST: `$(id > ${PWNED})`,
  BACKTICK: `\`touch ${PWNED}\``,
  ESCAPES: 'a\\"b\\\\c',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, on purpose
  DOLLAR: "$HOME and ${PATH}",
  HASH: "#not a comment",
  HASH_MID: "a # b",
  NEWLINES: "line1\nline2\n",
  UNICODE: "héllo ✓ 🙂 \u00a0",
  EQUALS: "a=b==",
  SPACES: "  padded  ",
  EMPTY: "",
  DOUBLE: 'say "hi"',
  BANG: "bang!x *.txt ~/x",
  TAB: "a\tb",
  SEMI: "a; rm -rf x | y & z",
  BARE: "postgres://app@db:5432/x+y",
};
/** Values dotenv cannot carry safely (a `'` with `$`, `"`, `\`, a backquote or CR; CR alone): the other formats can. */
const HARD: Record<string, string> = {
  QUOTE_DOLLAR: "it's $(id > /dev/null)",
  QUOTE_CR: "it's\r\nwindows",
  TRAILING_BACKSLASH: "it's ends\\",
};

function source(shell: "bash" | "sh", file: string, names: string[]): Record<string, string> {
  const r = spawnSync(
    shell,
    [
      ...(shell === "bash" ? ["--norc", "--noprofile"] : []),
      "-c",
      `set -a; . "$1"; exec "${process.execPath}" -e 'const o={};for(const n of process.argv.slice(1))o[n]=process.env[n];console.log(JSON.stringify(o))' ${names.join(" ")}`,
      "x",
      file,
    ],
    {
      cwd: sb.cwd,
      env: { PATH: process.env.PATH },
    },
  );
  expect(r.stderr.toString()).toBe("");
  return JSON.parse(r.stdout.toString());
}

function setAll(tenant: string, values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) expect(cli(sb, ["secrets", "set", k, "--tenant", tenant, "--value-stdin"], v).code).toBe(0);
}

describe("env export --format", { timeout: 600_000 }, () => {
  beforeAll(() => {
    expect(cli(sb, ["init"]).code).toBe(0);
    setAll("common", COMMON);
    setAll("hard", { ...COMMON, ...HARD });
  }, 600_000);

  it("dotenv (the default): dotenv.parse reads every value back exactly, and sourcing it runs nothing", () => {
    const out = cli(sb, ["env", "export", "--tenant", "common"]);
    expect([out.code, out.stderr]).toEqual([0, ""]);
    expect(dotenvParse(out.stdout)).toEqual(COMMON);
    // Import it back: the same values.
    const file = join(sb.cwd, "common.env");
    writeFileSync(file, out.stdout);
    expect(cli(sb, ["env", "import", file, "--tenant", "again"]).code).toBe(0);
    expect(dotenvParse(cli(sb, ["env", "export", "--tenant", "again"]).stdout)).toEqual(COMMON);
    // Compatible where it was safe: plain values are still bare.
    expect(out.out).toContain("BARE=postgres://app@db:5432/x+y\n");
    // Sourced by a shell: nothing runs; values without CR/LF escapes come back as they are.
    const sourced = source("bash", file, Object.keys(COMMON));
    expect(existsSync(PWNED)).toBe(false);
    for (const k of Object.keys(COMMON)) if (k !== "NEWLINES") expect(sourced[k], k).toBe(COMMON[k]);
  });

  it("dotenv refuses a value it cannot carry safely, naming the variable, printing nothing", () => {
    const r = cli(sb, ["env", "export", "--tenant", "hard"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.stderr).toMatch(
      /^polyvault: INVALID_INPUT: the value of (QUOTE_DOLLAR|QUOTE_CR|TRAILING_BACKSLASH) holds both a single quote and one of .* use --format shell, json or yaml\n$/,
    );
    expect(r.stderr).not.toContain("windows");
  });

  it("shell: bash and sh source it back exactly, and nothing runs", () => {
    const all = { ...COMMON, ...HARD };
    const out = cli(sb, ["env", "export", "--tenant", "hard", "--format", "shell"]);
    expect([out.code, out.stderr]).toEqual([0, ""]);
    const file = join(sb.cwd, "hard.sh");
    writeFileSync(file, out.stdout);
    expect(source("bash", file, Object.keys(all))).toEqual(all);
    expect(source("sh", file, Object.keys(all))).toEqual(all);
    expect(existsSync(PWNED)).toBe(false);
  });

  it("json and yaml: JSON.parse and the yaml package read every value back exactly", () => {
    const all = { ...COMMON, ...HARD };
    const json = cli(sb, ["env", "export", "--tenant", "hard", "--format", "json"]);
    expect([json.code, json.stderr]).toEqual([0, ""]);
    expect(JSON.parse(json.out)).toEqual(all);
    const yaml = cli(sb, ["env", "export", "--tenant", "hard", "--format", "yaml"]);
    expect([yaml.code, yaml.stderr]).toEqual([0, ""]);
    expect(yamlParse(yaml.out)).toEqual(all);
  });

  it("json and yaml carry any secret name; dotenv and shell skip names that are not variable names", () => {
    expect(cli(sb, ["secrets", "set", "db/url", "--tenant", "names", "--value-stdin"], "x:y").code).toBe(0);
    expect(cli(sb, ["secrets", "set", "OK", "--tenant", "names", "--value-stdin"], "1").code).toBe(0);
    expect(JSON.parse(cli(sb, ["env", "export", "--tenant", "names", "--format", "json"]).out)).toEqual({ "db/url": "x:y", OK: "1" });
    expect(yamlParse(cli(sb, ["env", "export", "--tenant", "names", "--format", "yaml"]).out)).toEqual({ "db/url": "x:y", OK: "1" });
    const sh = cli(sb, ["env", "export", "--tenant", "names", "--format", "shell"]);
    expect([sh.out, sh.stderr]).toEqual(["export OK='1'\n", "polyvault: note: skipped 1 secret(s) whose names are not variable names: db/url\n"]);
  });

  it("refuses bytes that are not UTF-8 and NUL in environment formats, and an unknown format", () => {
    expect(cli(sb, ["secrets", "set", "BIN", "--tenant", "bin", "--value-stdin"], Buffer.from([0x61, 0xff, 0x62])).code).toBe(0);
    for (const format of ["dotenv", "json", "yaml", "shell"]) {
      const r = cli(sb, ["env", "export", "--tenant", "bin", "--format", format]);
      expect([r.code, r.out, r.stderr], format).toEqual([
        2,
        "",
        "polyvault: INVALID_INPUT: secret BIN of tenant bin is not UTF-8 text, which no export format carries exactly; read it with secrets get --json (valueBase64)\n",
      ]);
    }
    expect(cli(sb, ["secrets", "set", "NUL", "--tenant", "nul", "--value-stdin"], "a\u0000b").code).toBe(0);
    const nul = cli(sb, ["env", "export", "--tenant", "nul", "--format", "shell"]);
    expect([nul.code, nul.stderr]).toEqual([
      2,
      "polyvault: INVALID_INPUT: the value of NUL holds a NUL character, which no environment variable can; use --format json or yaml\n",
    ]);
    expect(JSON.parse(cli(sb, ["env", "export", "--tenant", "nul", "--format", "json"]).out)).toEqual({ NUL: "a\u0000b" });
    const bad = cli(sb, ["env", "export", "--tenant", "nul", "--format", "toml"]);
    expect([bad.code, bad.stderr]).toEqual([2, 'polyvault: INVALID_INPUT: --format must be one of dotenv, json, yaml, shell (got "toml")\n']);
  });
});
