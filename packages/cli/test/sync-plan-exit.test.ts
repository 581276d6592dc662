/**
 * `sync plan --exit-code` exits 1 while something is left for a person (docs/cli.md, CONTRACT exit 1):
 * drift apply will not touch, and a conflict apply only reads back (under `conflict: fail` it updates an
 * earlier revision of the source's own value, and leaves an edit made out of band).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTenantId } from "@polyvault/core";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";

type Row = { name: string; action: string; apply: string };
/** The plan's rows other than noops, as [name, action, apply]. */
const changes = (out: string) =>
  JSON.parse(out)
    .actions.filter((a: Row) => a.action !== "noop")
    .map((a: Row) => [a.name, a.action, a.apply]);

describe("sync plan --exit-code", () => {
  it("0 in sync; 1 with drift left; 1 with a conflict apply can only read back, which apply then leaves untouched", async () => {
    const sb = sandbox();
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      "providers:\n  local: { type: file }\n  mirror: { type: file, dir: ./mirror }\ntenants:\n  acme: { primary: local }\nroutes:\n  m: { source: local, targets: [mirror], tenants: [acme], conflict: fail }\n",
    );
    expect(cli(sb, ["init"]).code).toBe(0);
    for (const n of ["a", "b"]) expect(cli(sb, ["secrets", "set", n, "--tenant", "acme", "--value-stdin"], `${n}-1`).code).toBe(0);
    expect(cli(sb, ["sync", "apply"]).code).toBe(0);
    expect(cli(sb, ["sync", "plan", "--exit-code"]).code).toBe(0);

    // A person edits the mirror's copy of `a` by hand (bytes that are no envelope of ours).
    const open = () => Runtime.open({ dataDir: sb.home, configPath: join(sb.cwd, "polyvault.yaml"), env: {}, pushOnWrite: false });
    const rt = await open();
    try {
      const acme = parseTenantId("acme");
      const mirror = rt.provider("mirror");
      const head = await mirror.get(acme, "a");
      await mirror.put(acme, "a", Buffer.from("edited by hand"), { metadata: { ...head.metadata, "pv-digest": "hand" } });
    } finally {
      await rt.close();
    }
    const drift = cli(sb, ["sync", "plan", "--exit-code", "--json"]);
    expect(drift.code).toBe(1);
    expect(changes(drift.out)).toEqual([["a", "drift", "none"]]);

    expect(cli(sb, ["secrets", "set", "a", "--tenant", "acme", "--value-stdin"], "a-2").code).toBe(0);
    const conflict = cli(sb, ["sync", "plan", "--exit-code", "--json"]);
    expect(conflict.code).toBe(1);
    expect(changes(conflict.out)).toEqual([["a", "conflict", "verify"]]);
    expect(cli(sb, ["sync", "plan"]).code).toBe(0); // without --exit-code, a plan is only a report
    const applied = cli(sb, ["sync", "apply", "--json"]);
    expect(applied.code).toBe(1);
    expect(JSON.parse(applied.out).runs[0].counts).toMatchObject({ conflictsLeft: 1, updated: 0, failed: 0 });
    const rt2 = await open();
    try {
      expect((await rt2.provider("mirror").get(parseTenantId("acme"), "a")).value.toString()).toBe("edited by hand");
    } finally {
      await rt2.close();
    }
  }, 120_000);
});
