/**
 * The `audit.export` scheduled job (configuration `audit.export`): its configuration is checked, it is
 * built only when configured, a run exports through the operations layer (authorized: `audit.export` on
 * every tenant; audited before it reads), and `dir` is relative to the configuration file.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessDeniedError, verifyExportFile } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { Runtime, auditExportDir, auditExportJob, callerOf, parseConfig } from "../src/index.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

const fails = (text: string) => {
  try {
    parseConfig(text, "polyvault.yaml", {});
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("audit.export configuration", () => {
  it("accepts schedule, dir and format; refuses what is missing, misspelt or unknown", () => {
    const c = parseConfig("audit:\n  export: { schedule: every 1h, dir: exports, format: json }\n", "polyvault.yaml", {});
    expect(c.audit?.export).toEqual({ schedule: "every 1h", dir: "exports", format: "json" });
    expect(fails("audit:\n  export: { schedule: every 1h }\n")).toBe(
      "polyvault.yaml is not a valid configuration:\n  audit.export.dir: audit.export.dir must be a directory path",
    );
    expect(fails("audit:\n  export: { schedule: every 1h, dir: x, format: csv }\n")).toBe(
      "polyvault.yaml is not a valid configuration:\n  audit.export.format: audit.export.format must be ndjson or json",
    );
    expect(fails('audit:\n  export: { schedule: "", dir: x }\n')).toBe(
      "polyvault.yaml is not a valid configuration:\n  audit.export.schedule: audit.export.schedule must not be empty",
    );
    expect(fails("audit:\n  export: { schedule: every 1h, dir: x, keep: 3 }\n")).toMatch(/audit\.export: Unrecognized key: "keep"/);
    expect(auditExportJob(parseConfig("audit: { checkpointEvery: 10 }\n", "polyvault.yaml", {}))).toBeUndefined();
  });
});

describe("the audit.export job", () => {
  it("runs as the audit.export operation: denied without the grant (nothing written), else a file that verifies alone", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pv-job-"));
    const dataDir = join(cwd, "data");
    const config = {
      providers: { local: { type: "file" as const } },
      audit: { export: { schedule: "every 1h", dir: "exports" } },
      access: {
        principals: {
          root: { tokenSha256: sha("root-tok"), roles: [{ role: "auditor" as const, tenants: ["*"] }] },
          bob: { tokenSha256: sha("bob-tok"), roles: [{ role: "auditor" as const, tenants: ["acme"] }] },
        },
      },
    };
    writeFileSync(join(cwd, "polyvault.yaml"), JSON.stringify(config)); // YAML is a superset of JSON
    const key = randomBytes(32).toString("base64");
    const job = auditExportJob(config);
    if (!job) throw new Error("no job");
    expect(job).toMatchObject({ name: "audit.export", schedule: "every 1h", permission: "audit.export" });
    const ctx = (rt: Runtime) => ({ runtime: rt, caller: callerOf(rt), now: new Date(), signal: new AbortController().signal, log: () => undefined });

    const bob = await Runtime.open({ dataDir, configPath: join(cwd, "polyvault.yaml"), env: { POLYVAULT_MASTER_KEY: key, POLYVAULT_TOKEN: "bob-tok" } });
    expect(auditExportDir(bob)).toBe(join(cwd, "exports"));
    await expect(job.run(ctx(bob))).rejects.toThrow(AccessDeniedError);
    await bob.close();
    expect(() => readdirSync(join(cwd, "exports"))).toThrow(/ENOENT/);

    const root = await Runtime.open({ dataDir, configPath: join(cwd, "polyvault.yaml"), env: { POLYVAULT_MASTER_KEY: key, POLYVAULT_TOKEN: "root-tok" } });
    const r = await job.run(ctx(root));
    await root.close();
    expect(r.status).toBe("done");
    const files = readdirSync(join(cwd, "exports")).filter((f) => f.endsWith(".ndjson"));
    expect(files).toHaveLength(1);
    expect(verifyExportFile(join(cwd, "exports", files[0] as string))).toMatchObject({ ok: true, first: 1 });
    const actions = readFileSync(join(dataDir, "audit.log"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>)
      .filter((e) => e.action === "audit.export")
      .map((e) => [e.actor, e.outcome]);
    expect(actions).toEqual([
      ["bob", "denied"],
      ["root", "started"],
      ["root", "ok"],
    ]);
  });
});
