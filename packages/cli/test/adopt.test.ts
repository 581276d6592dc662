import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeVersion } from "@polyvault/provider-file";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

describe("polyvault adopt", () => {
  it("shows the diff without changing anything, then adopts with --confirm", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    const dir = join(sb.home, "store", "acme", "s", "LEGACY_TOKEN");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "v0000000001.pv");
    writeFileSync(
      file,
      encodeVersion({ name: "LEGACY_TOKEN", tenant: "acme", managed: false, metadata: {}, createdAt: new Date().toISOString() }, Buffer.from("legacy-value")),
    );
    const before = readFileSync(file);

    const refused = cli(sb, ["secrets", "set", "LEGACY_TOKEN", "--tenant", "acme", "--value-stdin"], "new");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not managed by Polyvault; adopt it first/);

    const dry = JSON.parse(cli(sb, ["adopt", "--provider", "local", "--tenant", "acme", "--json"]).out);
    expect(dry).toEqual({
      tenant: "acme",
      provider: "local",
      confirmed: false,
      secrets: [{ name: "LEGACY_TOKEN", bytes: 12, polyvault: "absent", action: "adopt" }],
    });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(cli(sb, ["adopt", "NOPE", "--provider", "local", "--tenant", "acme"]).stderr).toMatch(/not unmanaged secrets of tenant acme in local: NOPE/);

    const done = cli(sb, ["adopt", "LEGACY_TOKEN", "--provider", "local", "--tenant", "acme", "--confirm", "--json"]);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.out).secrets[0].action).toBe("adopted");
    expect(cli(sb, ["secrets", "get", "LEGACY_TOKEN", "--tenant", "acme"]).out).toBe("legacy-value");
    expect(readFileSync(join(dir, "v0000000002.pv")).includes(Buffer.from("legacy-value"))).toBe(false);
    expect(JSON.parse(cli(sb, ["secrets", "list", "--tenant", "acme", "--json"]).out).secrets[0]).toMatchObject({ name: "LEGACY_TOKEN", managed: true });
  });
});
