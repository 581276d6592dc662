// What `secrets set` and `secrets list` tell a person: an unchanged write is said to be one, and the
// listing shows each secret's labels.
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

describe("secrets set / list output", () => {
  it("an unchanged set is reported as such and makes no version; list shows labels", () => {
    const sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    const set = (input: string, ...labels: string[]) =>
      cli(sb, ["secrets", "set", "JWT", "--tenant", "acme", "--value-stdin", ...labels.flatMap((l) => ["--label", l])], input);
    expect(set("v", "team=auth", "tier=1").out).toBe("acme/JWT: version 1 stored (1 bytes)\n");
    expect(set("v", "team=auth", "tier=1").out).toBe("acme/JWT: unchanged (version 1 already holds this value and these labels)\n");
    const json = JSON.parse(
      cli(sb, ["secrets", "set", "JWT", "--tenant", "acme", "--value-stdin", "--label", "team=auth", "--label", "tier=1", "--json"], "v").out,
    );
    expect(json).toMatchObject({ version: 1, unchanged: true });
    expect(cli(sb, ["secrets", "set", "PLAIN", "--tenant", "acme", "--value-stdin"], "p").code).toBe(0);

    const list = cli(sb, ["secrets", "list", "--tenant", "acme"]).out.split("\n");
    expect(list[0]).toMatch(/^NAME +VERSION +UPDATED +KEY +MANAGED +LABELS$/);
    expect(list.find((l) => l.startsWith("JWT "))).toMatch(/ yes +team=auth,tier=1$/);
    expect(list.find((l) => l.startsWith("PLAIN "))).toMatch(/ yes$/);
  });
});
