// Every shell block of the README runs as written, in order, as a newcomer would run them after
// `npm ci` in a fresh clone: one bash session (`set -euo pipefail`: any failing command fails the test),
// in a scratch directory holding only what a clone's root offers the commands (`npx polyvault` from
// node_modules/.bin, `npm run emulators`), against the shared test servers (moto :4566, Vault :8200).
// Blocks fenced ```sh no-run are illustrative or too heavy to run here (installing, the whole test
// suite) and are skipped; each is named below with the reason. Two isolations, neither changing a
// command: the tenant `acme` is renamed to a unique tenant (the servers are shared with other runs),
// and the emulators' run directory is private (so `down` can only stop what this test started: nothing).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, blocks } from "./blocks.js";

const NOT_RUN: Record<string, string> = {
  "Quick start": "npm ci and npm test: the whole installation and test suite (npm run demo: packages/cli/test/demo.test.ts)",
  "Using it as a library": "npm pack and npm install from the registry: test/docs/library.test.ts packs, installs and runs the snippets",
};

describe("README shell blocks", () => {
  const all = blocks("README.md").filter((b) => b.lang === "sh");
  const skipped = all.filter((b) => b.flags.includes("no-run"));

  it("every skipped block is one of the documented exceptions", () => {
    expect(skipped.map((b) => b.heading).sort()).toEqual(Object.keys(NOT_RUN).sort());
  });

  it("every other block runs as written, in order, each command exiting 0", () => {
    const run = all.filter((b) => !b.flags.includes("no-run"));
    expect(run.length).toBeGreaterThanOrEqual(3);
    const scratch = mkdtempSync(join(tmpdir(), "pv-readme-"));
    mkdirSync(join(scratch, "node_modules", ".bin"), { recursive: true });
    symlinkSync(join(ROOT, "packages/cli/bin/polyvault.js"), join(scratch, "node_modules", ".bin", "polyvault"));
    writeFileSync(
      join(scratch, "package.json"),
      JSON.stringify({ name: "readme-scratch", private: true, scripts: { emulators: `node ${join(ROOT, "test/emulators/cli.mjs")}` } }),
    );
    const tenant = `acme${randomBytes(4).toString("hex")}`;
    const script = ["set -euo pipefail", ...run.map((b) => `# README.md:${b.line} (${b.heading})\n${b.code.replace(/\bacme\b/g, tenant)}`)].join("\n");
    writeFileSync(join(scratch, "readme.sh"), script);
    const r = spawnSync("bash", ["-x", "readme.sh"], {
      cwd: scratch,
      encoding: "utf8",
      timeout: 600_000,
      env: {
        PATH: `${join(scratch, "node_modules", ".bin")}:${process.env.PATH}`,
        HOME: process.env.HOME,
        POLYVAULT_EMULATOR_RUN: mkdtempSync(join(tmpdir(), "pv-readme-run-")),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        npm_config_update_notifier: "false",
      },
    });
    const tail = r.stderr.split("\n").slice(-25).join("\n");
    expect(r.status, `the README stopped at:\n${tail}`).toBe(0);
    // Some of the tour's claims, checked on what it printed.
    expect(r.stdout).toContain(`tenant ${tenant} has every key of .env.example`);
    expect(r.stdout).toContain(`{"client_id":"${tenant}-client","client_secret":"s3cr3t","redirect_uri":"http://localhost:8000/callback"}`);
    expect(r.stdout).toMatch(/db\/password: version 1 stored \(6 bytes\)\ns3cr3t/); // the value read back from Vault
    expect(r.stdout).toMatch(/vault +up +not started by `npm run emulators`: left running\n$/); // `down` stopped nothing it did not start
  }, 660_000);
});
