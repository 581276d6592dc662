import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

describe("env import, check, export and credentials", () => {
  const sb = sandbox();
  beforeAll(() => expect(cli(sb, ["init"]).code).toBe(0));

  it("imports a .env file, checks it against a template, exports it back", () => {
    const envFile = join(sb.cwd, ".env.dev");
    writeFileSync(envFile, 'SPOTIFY_CLIENT_ID=abc\nSPOTIFY_CLIENT_SECRET="s3 cr#et"\nMULTI="line1\\nline2"\nJWT_SECRET_KEY=jwt\n');
    const imp = cli(sb, ["env", "import", envFile, "--tenant", "t", "--json"]);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.out).imported).toHaveLength(4);

    const template = join(sb.cwd, ".env.example");
    writeFileSync(template, "SPOTIFY_CLIENT_ID=\nSPOTIFY_CLIENT_SECRET=\nSPOTIFY_REDIRECT_URI=\nJWT_SECRET_KEY=\n");
    const check = cli(sb, ["env", "check", "--tenant", "t", "--template", template, "--json"]);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.out)).toMatchObject({ pass: false, missing: ["SPOTIFY_REDIRECT_URI"], extra: ["MULTI"] });

    const exported = cli(sb, ["env", "export", "--tenant", "t"]);
    expect(exported.code).toBe(0);
    expect(parse(exported.out)).toEqual({ SPOTIFY_CLIENT_ID: "abc", SPOTIFY_CLIENT_SECRET: "s3 cr#et", MULTI: "line1\nline2", JWT_SECRET_KEY: "jwt" });
  });

  it("refuses a .env file with a key that is not a valid secret name, writing nothing", () => {
    const bad = join(sb.cwd, "bad.env");
    writeFileSync(bad, "GOOD=1\n..=2\n");
    const r = cli(sb, ["env", "import", bad, "--tenant", "u"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^polyvault: INVALID_INPUT: invalid secret name "\.\.": /);
    expect(JSON.parse(cli(sb, ["secrets", "list", "--tenant", "u", "--json"]).out).secrets).toEqual([]);
  });

  it("credentials spotify names what is missing (exit 3), then answers the bundle", () => {
    const missing = cli(sb, ["credentials", "spotify", "--tenant", "t"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe("polyvault: NOT_FOUND: spotify credentials for tenant t are incomplete: missing SPOTIFY_REDIRECT_URI\n");
    cli(sb, ["secrets", "set", "SPOTIFY_REDIRECT_URI", "--tenant", "t", "--value-stdin"], "not a url");
    const malformed = cli(sb, ["credentials", "spotify", "--tenant", "t"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/malformed: SPOTIFY_REDIRECT_URI/);
    expect(malformed.stderr).not.toContain("not a url");
    cli(sb, ["secrets", "set", "SPOTIFY_REDIRECT_URI", "--tenant", "t", "--value-stdin"], "http://localhost:8000/callback");
    const ok = JSON.parse(cli(sb, ["credentials", "spotify", "--tenant", "t", "--json"]).out);
    expect(ok).toEqual({ client_id: "abc", client_secret: "s3 cr#et", redirect_uri: "http://localhost:8000/callback" });
  });
});

describe("env import of an unchanged .env", () => {
  it("makes no new version: every variable is reported unchanged; a changed one gets one new version", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    const envFile = join(sb.cwd, ".env");
    writeFileSync(envFile, "A=1\nB=two\n");
    const first = JSON.parse(cli(sb, ["env", "import", envFile, "--tenant", "acme", "--json"]).out);
    expect(first.imported).toEqual([
      { name: "A", version: 1, unchanged: false },
      { name: "B", version: 1, unchanged: false },
    ]);
    const again = cli(sb, ["env", "import", envFile, "--tenant", "acme"]);
    expect(again.code).toBe(0);
    expect(again.out).toBe("imported 2 variable(s) into tenant acme: 0 stored, 2 unchanged\n");
    writeFileSync(envFile, "A=1\nB=three\n");
    const changed = JSON.parse(cli(sb, ["env", "import", envFile, "--tenant", "acme", "--json"]).out);
    expect(changed.imported).toEqual([
      { name: "A", version: 1, unchanged: true },
      { name: "B", version: 2, unchanged: false },
    ]);
    for (const [name, count] of [
      ["A", 1],
      ["B", 2],
    ] as const) {
      expect(JSON.parse(cli(sb, ["secrets", "versions", name, "--tenant", "acme", "--json"]).out).versions).toHaveLength(count);
    }
  });
});
