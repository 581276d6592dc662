// Canary rotation (issue 13.4) against the real servers: the file provider is the primary, Vault (the
// canary) and AWS Secrets Manager (moto) are mirror targets. A failing check must leave every store on
// the old value; a passing one reaches every store, and `rotation rollback` puts the old value back
// everywhere. What each store holds is read through Polyvault: the primary, then each mirror alone by a
// failover read (the primary made unreachable), which opens the mirror's own ciphertext.
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, CliSandbox, SLOW, expectSameBytes, leakForms } from "../harness/cli.js";
import { awsYaml, cliEnv, unavailable, vaultYaml } from "./endpoints.js";

const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const tenant = `cny${run}`;
const NAME = "DB_PASSWORD";
const config = (local: string, mirrors: string) => `providers:
  local: ${local}
  vault: ${vaultYaml(undefined, `, prefix: "cny${run}"`)}
  aws: ${awsYaml(undefined, `, prefix: "cny${run}"`)}
tenants:
  ${tenant}: { primary: local, mirrors: [${mirrors}] }
routes:
  out: { source: local, targets: [aws, vault], tenants: [${tenant}], prune: true }
rotation:
  policies:
    - secrets: "${NAME}"
      intervalDays: 30
      command: ./new-value.sh
      strategy: canary
      canary: { targets: [vault], check: [./check.sh, --service, db], timeoutSeconds: 300 }
`;

const notRun = unavailable("vault") ?? unavailable("aws");
// Skipped only when a server could not be started (reason in the title); `npm test` starts both.
(notRun ? describe.skip : describe)(`canary rotation over Vault and AWS${notRun ? ` — NOT RUN: ${notRun}` : ""}`, () => {
  const sb = new CliSandbox({ prefix: "e2e", env: cliEnv() });
  const file = (n: string) => join(sb.cwd, n);
  const old = sb.canary();
  const rotate = () => sb.run(["rotation", "run", "--tenant", tenant, "--secret", NAME, "--force", "--json"], { hangAfterMs: 170_000 });
  /** What the primary, the Vault mirror and the AWS mirror each hold, read through Polyvault. */
  const everywhere = async (expected: Buffer) => {
    for (const where of ["primary.yaml", "vault.yaml", "aws.yaml"]) {
      const r = await sb.run(["secrets", "get", NAME, "--tenant", tenant, "--json", "--config", file(where)], { allow: expected });
      expect(r.code, `${where}: ${r.stderr}`).toBe(0);
      const got = JSON.parse(r.out) as { value: string; servedBy: string };
      expect(got.servedBy).toBe(where === "primary.yaml" ? "local" : where.replace(".yaml", ""));
      expectSameBytes(Buffer.from(got.value), expected);
    }
  };
  const status = async () => JSON.parse((await sb.run(["rotation", "status", "--tenant", tenant, "--json"])).out);

  beforeAll(async () => {
    writeFileSync(file("primary.yaml"), config("{ type: file }", "vault, aws"));
    // The same stores with the primary unreachable (its directory below a regular file): one mirror each.
    writeFileSync(file("vault.yaml"), config("{ type: file, dir: ./blocked/store }", "vault"));
    writeFileSync(file("aws.yaml"), config("{ type: file, dir: ./blocked/store }", "aws"));
    writeFileSync(file("blocked"), "");
    sb.writeConfig(readFileSync(file("primary.yaml"), "utf8"));
    // The value source prints next-value; the check records its stdin and argv and exits with check-exit.
    writeFileSync(file("new-value.sh"), `#!/bin/sh\ncat "${file("next-value")}"\n`);
    // It also reads what Vault and AWS hold at that moment (failover reads, as `everywhere` does).
    const peek = (where: string) =>
      `"${process.execPath}" "${BIN}" secrets get ${NAME} --tenant ${tenant} --json --config "${file(`${where}.yaml`)}" > "${file(`seen-${where}`)}"`;
    writeFileSync(
      file("check.sh"),
      `#!/bin/sh\ncat > "${file("received")}"\nprintf '%s\\n' "$@" "$POLYVAULT_CANARY_TARGETS" > "${file("argv")}"\n${peek("vault")}\n${peek("aws")}\nexit "$(cat "${file("check-exit")}")"\n`,
    );
    chmodSync(file("new-value.sh"), 0o700);
    chmodSync(file("check.sh"), 0o700);
    expect((await sb.run(["init"])).code).toBe(0);
    const set = await sb.run(["secrets", "set", NAME, "--tenant", tenant, "--value-stdin"], { input: old });
    expect(set.code, set.stderr).toBe(0);
    expect((await sb.run(["sync", "apply"])).code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await sb.run(["secrets", "delete", NAME, "--tenant", tenant, "--purge"]);
    await sb.run(["sync", "apply", "--confirm"]);
  }, 180_000);

  it("a failing check rolls back: every store holds the old value, the check got the new one on stdin only", SLOW, async () => {
    await everywhere(old);
    const next = sb.canary();
    writeFileSync(file("next-value"), next);
    writeFileSync(file("check-exit"), "3");
    const r = await rotate();
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.out).results[0];
    expect(result.reason).toBe(`the canary check failed: CHECK_FAILED: canary check of policies[0] (./check.sh) for ${tenant}/${NAME} exited with code 3`);
    expect(result).toMatchObject({ name: NAME, outcome: "rolled-back", fromVersion: 1, toVersion: 2 });
    expectSameBytes(readFileSync(file("received")), next);
    expect(readFileSync(file("argv"), "utf8")).toBe("--service\ndb\nout:vault\n");
    // While the check ran, the canary (Vault) held the new value and AWS still the old one.
    const seen = (where: string) => Buffer.from((JSON.parse(readFileSync(file(`seen-${where}`), "utf8")) as { value: string }).value);
    expectSameBytes(seen("vault"), next);
    expectSameBytes(seen("aws"), old);
    await everywhere(old);

    const s = await status();
    expect(s.pending).toEqual([]);
    expect(s.canaries).toMatchObject([
      { name: NAME, fromVersion: 1, toVersion: 2, restoredVersion: 3, phase: "rollback", outcome: "rolled-back", canaryTargets: ["out:vault"] },
    ]);

    // One record before and one after each phase, under the run's request id, none with a value.
    const audit = await sb.run(["audit", "export", "--format", "json"]);
    expect(audit.code, audit.stderr).toBe(0);
    const records = JSON.parse(audit.out) as Array<{ action: string; outcome: string; detail?: string; requestId: string }>;
    const runId = records.findLast((x) => x.action === "rotation.run")?.requestId;
    const phases = records.filter((x) => x.action.startsWith("rotation.canary.") && x.requestId === runId).map((x) => [x.action, x.outcome, x.detail]);
    expect(phases).toEqual([
      ["rotation.canary.stage", "started", undefined],
      ["rotation.canary.stage", "ok", undefined],
      ["rotation.canary.canary", "started", "revision=2 targets=out:vault"],
      ["rotation.canary.canary", "ok", "revision=2 targets=out:vault"],
      ["rotation.canary.check", "started", "revision=2 targets=out:vault"],
      ["rotation.canary.check", "CHECK_FAILED", "revision=2 targets=out:vault"],
      ["rotation.canary.rollback", "started", "revision=1"],
      ["rotation.canary.rollback", "ok", "revision=1"],
    ]);
    for (const form of [...leakForms(old), ...leakForms(next)]) expect(audit.stdout.includes(form)).toBe(false);
  });

  it("a passing check reaches every store; rollback then puts the old value back everywhere", SLOW, async () => {
    const next = sb.canary();
    writeFileSync(file("next-value"), next);
    writeFileSync(file("check-exit"), "0");
    const r = await rotate();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.out).results[0]).toMatchObject({ outcome: "staged", fromVersion: 3, toVersion: 4 });
    await everywhere(next);
    expect((await status()).canaries).toMatchObject([{ phase: "done", outcome: "passed", targetsDone: ["out:vault", "out:aws"] }]);

    const back = await sb.run(["rotation", "rollback", NAME, "--tenant", tenant, "--json"]);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.out)).toMatchObject({ rolledBack: true, restoredVersion: 3, version: 5 });
    await everywhere(old);
    const s = await status();
    expect(s.pending).toEqual([]);
    expect(s.canaries).toMatchObject([{ outcome: "rolled-back", restoredVersion: 5, reason: "rolled back on request" }]);
    expect(sb.filesWithCanaries()).toEqual([]);
  });
});
