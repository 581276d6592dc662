import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CheckFailedError, InvalidInputError, type ResolvedCanary, RotationPolicies, UnavailableError, runCanaryCheck } from "../../src/index.js";
import { NEW, script } from "./canary-support.js";
import { caught, tempDir } from "./support.js";

const subject = { source: "policies[0]", tenant: "acme", name: "db", revision: 4, targets: ["r:east"] };
const canary = (check: string[], extra: Partial<ResolvedCanary> = {}): ResolvedCanary => ({ targets: ["east"], check, timeoutMs: 10_000, ...extra });
const value = Buffer.from(NEW);

describe("the canary check command", () => {
  it("gets the value on stdin, never in argv; its arguments are passed without a shell", async () => {
    const dir = await tempDir();
    const marker = join(dir, "pwned");
    const arg = `$(touch ${marker}); *`;
    const s = await script(
      `cat > "${dir}/in"; printf '%s\\n' "$#" "$@" "$POLYVAULT_TENANT" "$POLYVAULT_SECRET_NAME" "$POLYVAULT_REVISION" "$POLYVAULT_CANARY_TARGETS" "\${POLYVAULT_MASTER_KEY:-none}" > "${dir}/args"`,
    );
    await runCanaryCheck(canary([s, arg]), subject, value, { PATH: process.env.PATH, POLYVAULT_MASTER_KEY: "bWFzdGVy" });
    expect(readFileSync(join(dir, "in"), "utf8")).toBe(NEW);
    expect(readFileSync(join(dir, "args"), "utf8")).toBe(`1\n${arg}\nacme\ndb\n4\nr:east\nnone\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it("with valueEnv, gets the value in that variable and nothing on stdin", async () => {
    const s = await script(`[ -z "$(cat)" ] && [ "$DB_PASSWORD" = "${NEW}" ]`);
    await runCanaryCheck(canary([s], { valueEnv: "DB_PASSWORD" }), subject, value, { PATH: process.env.PATH });
    const bad = await caught(() => runCanaryCheck(canary([s], { valueEnv: "DB_PASSWORD" }), subject, Buffer.from([0x41, 0xff]), {}));
    expect(bad).toBeInstanceOf(InvalidInputError);
    expect(bad.message).toBe(
      `canary check of policies[0] (${s}) for acme/db: the value is not UTF-8 text, so it cannot be passed in DB_PASSWORD; drop valueEnv to pass it on stdin`,
    );
    const nul = await caught(() => runCanaryCheck(canary([s], { valueEnv: "DB_PASSWORD" }), subject, Buffer.from("a\0b"), {}));
    expect(nul.message).toMatch(/the value contains a NUL byte, so it cannot be passed in DB_PASSWORD;/);
  });

  it("a non-zero exit is CHECK_FAILED naming the code, never what the check printed; a hang and a missing command are errors too", async () => {
    const s = await script(`cat; cat >&2; echo ${NEW} >&2; exit 3`);
    const err = await caught(() => runCanaryCheck(canary([s]), subject, value, { PATH: process.env.PATH }));
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.message).toBe(`canary check of policies[0] (${s}) for acme/db exited with code 3`);
    expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain(NEW);
    const slow = await script("sleep 5");
    const hang = await caught(() => runCanaryCheck(canary([slow], { timeoutMs: 300 }), subject, value, {}));
    expect(hang).toBeInstanceOf(UnavailableError);
    expect(hang.message).toBe(`canary check of policies[0] (${slow}) for acme/db did not finish within 0.3 s`);
    expect((await caught(() => runCanaryCheck(canary(["/nonexistent/check"]), subject, value, {}))).message).toBe(
      "canary check of policies[0] (/nonexistent/check) for acme/db cannot be run (ENOENT)",
    );
  });
});

describe("canary policies", () => {
  const bad = (canaryBlock: object | undefined, strategy: "canary" | "blue-green" = "canary") =>
    caught(() => new RotationPolicies({ policies: [{ secrets: "db", intervalDays: 1, strategy, ...(canaryBlock ? { canary: canaryBlock as never } : {}) }] }));

  it("resolve to the targets, the check as argv, and a timeout", () => {
    const p = new RotationPolicies({
      policies: [{ secrets: "db", intervalDays: 1, strategy: "canary", canary: { targets: ["east"], check: "/bin/true", timeoutSeconds: 5 } }],
    });
    expect(p.resolve("acme", "db")).toMatchObject({ strategy: "canary", canary: { targets: ["east"], check: ["/bin/true"], timeoutMs: 5000 } });
  });

  it("are refused with the path and the rule: no targets, no check, a missing block, a block without the strategy, a bad variable name", async () => {
    expect((await bad({ targets: [], check: "/bin/true" })).message).toBe("rotation.policies.0.canary.targets: name at least one canary target");
    expect((await bad({ targets: ["east"] })).message).toBe(
      "rotation.policies.0.canary.check: a canary policy needs a check command (an executable, or [executable, ...args])",
    );
    expect((await bad({ targets: ["east"], check: [] })).message).toBe(
      "rotation.policies.0.canary.check: a canary policy needs a check command (an executable, or [executable, ...args])",
    );
    expect((await bad(undefined)).message).toBe("rotation.policies.0.canary: strategy canary needs a canary block with targets and a check command");
    expect((await bad({ targets: ["east"], check: "/bin/true" }, "blue-green")).message).toBe(
      "rotation.policies.0.canary: a canary block needs strategy: canary",
    );
    expect((await bad({ targets: ["east", "east"], check: "/bin/true" })).message).toBe("rotation.policies.0.canary.targets: a target is listed twice");
    expect((await bad({ targets: ["east"], check: "/bin/true", valueEnv: "POLYVAULT_TOKEN" })).message).toBe(
      "rotation.policies.0.canary.valueEnv: an environment variable name (letters, digits, '_'), not one of Polyvault's own POLYVAULT_*",
    );
    expect(await bad({ targets: [], check: "/bin/true" })).toBeInstanceOf(InvalidInputError);
  });
});
