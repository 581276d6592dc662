import { describe, expect, it } from "vitest";
import { cli, sandbox } from "./helpers.js";

describe("polyvault demo", () => {
  it("tours the main job on the embedded default and says what it did", () => {
    const r = cli(sandbox(), ["demo", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const steps = JSON.parse(r.out).steps as Array<{ step: string; result: string }>;
    const by = Object.fromEntries(steps.map((s) => [s.step, s.result]));
    expect(Object.keys(by)).toEqual([
      "init",
      "secrets set",
      "secrets get",
      "isolation",
      "tamper detection",
      "secrets rotate",
      "credentials spotify",
      "keys rotate",
      "keys rewrap",
      "read after rewrap",
      "sync plan",
      "sync apply",
      "drift",
      "drift repaired",
      "failover read",
      "scheduled jobs",
      "jobs status",
      "backup drill",
    ]);
    expect(by["scheduled jobs"]).toMatch(
      /^keys\.rotate \(every 1h\): nothing-due: key version 2 is current; next rotation due .+\n {4}backups \(0 3 \* \* \*\): done: 2 tenant\(s\) backed up to .+ and verified/,
    );
    expect(by["backup drill"]).toMatch(
      /^acme's newest bundle restored into a scratch data directory: 4 version\(s\) of 4 secret\(s\) read back with matching digests/,
    );
    expect(by["sync plan"]).toMatch(/4 to create/);
    expect(by.drift).toMatch(/SPOTIFY_CLIENT_ID: drift/);
    expect(by["drift repaired"]).toMatch(/^1 secret\(s\) repaired/);
    expect(by["failover read"]).toMatch(/served by mirror \(stale: true\)/);
    // The demo's own values never reach its output.
    expect(r.out + r.stderr).not.toContain("demo-password");
    expect(r.out + r.stderr).not.toContain("acme-client-secret");
  });
});
