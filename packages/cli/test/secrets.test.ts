import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, filesBelow, filesContaining, mode, sandbox } from "../../../test/harness/cli.js";

describe("polyvault init and secrets on the embedded default", () => {
  const sb = sandbox();
  beforeAll(() => {
    const r = cli(sb, ["init"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("creates private key files and refuses to overwrite them", () => {
    expect(mode(join(sb.home, "keys", "master.key"))).toBe(0o600);
    expect(mode(join(sb.home, "keys", "keyring.json"))).toBe(0o600);
    expect(mode(join(sb.home, "keys"))).toBe(0o700);
    const again = cli(sb, ["init"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^polyvault: CONFLICT: keys already exist in .*refusing to overwrite them\n$/);
  });

  it("round-trips any bytes through --value-stdin and --value-file", () => {
    const cases = [Buffer.from([0, 1, 0, 255, 0]), randomBytes(64 * 1024), Buffer.from("héllo\nwörld\r\n", "utf8"), Buffer.from([0])];
    for (const [i, value] of cases.entries()) {
      expect(cli(sb, ["secrets", "set", `bin/${i}`, "--tenant", "acme", "--value-stdin"], value).code).toBe(0);
      expect(cli(sb, ["secrets", "get", `bin/${i}`, "--tenant", "acme"]).stdout.equals(value)).toBe(true);
      const file = join(sb.cwd, `value-${i}`);
      writeFileSync(file, value);
      expect(cli(sb, ["secrets", "set", `file/${i}`, "--tenant", "acme", "--value-file", file]).code).toBe(0);
      expect(cli(sb, ["secrets", "get", `file/${i}`, "--tenant", "acme"]).stdout.equals(value)).toBe(true);
    }
  });

  it("answers --json per docs/cli.md, base64 for bytes that are not UTF-8", () => {
    cli(sb, ["secrets", "set", "json/text", "--tenant", "acme", "--value-stdin"], "plain text");
    const text = JSON.parse(cli(sb, ["secrets", "get", "json/text", "--tenant", "acme", "--json"]).out);
    expect(text).toMatchObject({ tenant: "acme", name: "json/text", version: 1, value: "plain text", servedBy: "local", stale: false });
    cli(sb, ["secrets", "set", "json/bin", "--tenant", "acme", "--value-stdin"], Buffer.from([0xff, 0xfe, 0]));
    const bin = JSON.parse(cli(sb, ["secrets", "get", "json/bin", "--tenant", "acme", "--json"]).out);
    expect(bin.valueBase64).toBe(Buffer.from([0xff, 0xfe, 0]).toString("base64"));
    expect(bin.value).toBeUndefined();
  });

  it("never writes a canary value in clear (or base64/hex) anywhere under the data dir, nor prints it in list/versions/errors", () => {
    const canary = Buffer.from(`CANARY-${randomBytes(12).toString("hex")}`);
    expect(cli(sb, ["secrets", "set", "canary", "--tenant", "acme", "--value-stdin", "--label", "team=core"], canary).code).toBe(0);
    cli(sb, ["secrets", "rotate", "canary", "--tenant", "acme", "--value-stdin"], Buffer.concat([canary, Buffer.from("-2")]));
    const outputs = [
      cli(sb, ["secrets", "list", "--tenant", "acme"]),
      cli(sb, ["secrets", "list", "--tenant", "acme", "--json"]),
      cli(sb, ["secrets", "versions", "canary", "--tenant", "acme", "--json"]),
      cli(sb, ["secrets", "set", "../bad", "--tenant", "acme", "--value-stdin"], canary),
      cli(sb, ["secrets", "set", "big", "--tenant", "acme", "--value-stdin"], Buffer.concat([canary, Buffer.alloc(2 * 1024 * 1024)])),
      cli(sb, ["keys", "status", "--json"]),
    ];
    for (const o of outputs) {
      expect(o.stdout.includes(canary)).toBe(false);
      expect(o.stderr.includes(canary.toString())).toBe(false);
    }
    expect(filesContaining(sb.home, canary)).toEqual([]);
    expect(filesBelow(sb.home).length).toBeGreaterThan(3);
  });

  it("refuses bad tenant ids with exit 2 and writes nothing", () => {
    for (const bad of ["../x", "A", "", "a".repeat(64), "a/b", "é"]) {
      const before = filesBelow(sb.home).length;
      const r = cli(sb, ["secrets", "set", "x", "--tenant", bad, "--value-stdin"], "v");
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^polyvault: INVALID_INPUT: invalid tenant id .*\n$/);
      expect(filesBelow(sb.home).length).toBe(before);
    }
  });

  it("refuses bad secret names with exit 2 and writes nothing", () => {
    const expected: Record<string, RegExp> = {
      "../x": /'\.' or '\.\.' segment/,
      "/a": /must not start or end with '\/'/,
      "a//b": /empty segment/,
      "a b": /may only contain/,
      [`${"n".repeat(257)}`]: /longer than 256/,
    };
    for (const [bad, why] of Object.entries(expected)) {
      const before = filesBelow(sb.home).length;
      const r = cli(sb, ["secrets", "set", bad, "--tenant", "acme", "--value-stdin"], "v");
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^polyvault: INVALID_INPUT: invalid secret name /);
      expect(r.stderr).toMatch(why);
      expect(filesBelow(sb.home).length).toBe(before);
      expect(cli(sb, ["secrets", "get", bad, "--tenant", "acme"]).code).toBe(2);
    }
  });

  it("answers exit 3 for a missing secret, and JSON errors with --json", () => {
    const r = cli(sb, ["secrets", "get", "nope", "--tenant", "acme"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('polyvault: NOT_FOUND: secret "nope" not found in tenant acme\n');
    const j = cli(sb, ["secrets", "get", "nope", "--tenant", "acme", "--json"]);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.out)).toEqual({ error: { code: "NOT_FOUND", message: 'secret "nope" not found in tenant acme' } });
  });

  it("requires exactly one value source and never takes a value from an argument", () => {
    const none = cli(sb, ["secrets", "set", "x", "--tenant", "acme"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--value-stdin, --value-file FILE or --generate/);
    const two = cli(sb, ["secrets", "set", "x", "--tenant", "acme", "--generate", "--value-stdin"], "v");
    expect(two.code).toBe(2);
    expect(cli(sb, ["secrets", "get", "x", "--tenant", "acme"]).code).toBe(3);
    const unknown = cli(sb, ["secrets", "set", "x", "--tenant", "acme", "--value", "s3cret"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--value'/);
  });

  it("generates crypto-random values of the asked length and alphabet", () => {
    cli(sb, ["secrets", "set", "gen", "--tenant", "acme", "--generate", "--length", "40", "--alphabet", "hex"]);
    const v = cli(sb, ["secrets", "get", "gen", "--tenant", "acme"]).out;
    expect(v).toMatch(/^[0-9a-f]{40}$/);
    const bad = cli(sb, ["secrets", "set", "gen2", "--tenant", "acme", "--generate", "--length", "4"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/length must be a whole number from 8 to 4096/);
  });

  it("keeps versions; reads an old one; delete then purge", () => {
    cli(sb, ["secrets", "set", "ver", "--tenant", "acme", "--value-stdin"], "one");
    cli(sb, ["secrets", "rotate", "ver", "--tenant", "acme", "--value-stdin"], "two");
    expect(cli(sb, ["secrets", "get", "ver", "--tenant", "acme", "--version", "1"]).out).toBe("one");
    expect(cli(sb, ["secrets", "get", "ver", "--tenant", "acme"]).out).toBe("two");
    const versions = JSON.parse(cli(sb, ["secrets", "versions", "ver", "--tenant", "acme", "--json"]).out).versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(cli(sb, ["secrets", "delete", "ver", "--tenant", "acme"]).code).toBe(0);
    expect(cli(sb, ["secrets", "get", "ver", "--tenant", "acme"]).code).toBe(3);
    expect(cli(sb, ["secrets", "delete", "ver", "--tenant", "acme", "--purge"]).code).toBe(0);
    expect(existsSync(join(sb.home, "store", "acme", "s", "ver"))).toBe(false);
    expect(cli(sb, ["secrets", "rotate", "ver", "--tenant", "acme"]).code).toBe(3);
  });
});
