import { existsSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError, type ResolvedPolicy, UnavailableError, rotationValue } from "../../src/index.js";
import { caught, tempDir } from "./support.js";

const CANARY = "CANARY-rotation-7f3a9c";

async function script(body: string): Promise<string> {
  const path = join(await tempDir(), "rotate.sh");
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o700);
  return path;
}
const policy = (command: string[] | undefined, extra: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({
  source: "policies[0]",
  intervalDays: 1,
  command,
  strategy: "blue-green",
  timeoutMs: 10_000,
  ...extra,
});

describe("rotation values", () => {
  it("generates a crypto-random value of the policy's length and alphabet", async () => {
    const v = await rotationValue(policy(undefined, { length: 40, alphabet: "hex" }), "acme", "a");
    expect(v.toString()).toMatch(/^[0-9a-f]{40}$/);
  });

  it("takes a command's stdout as the value, without one trailing newline", async () => {
    expect((await rotationValue(policy([await script(`printf '${CANARY}\\n'`)]), "acme", "a")).toString()).toBe(CANARY);
    expect((await rotationValue(policy([await script(`printf 'a b\\r\\n'`)]), "acme", "a")).toString()).toBe("a b");
    expect((await rotationValue(policy([await script(`printf 'x\\n\\n'`)]), "acme", "a")).toString()).toBe("x\n");
  });

  it("runs without a shell: arguments reach the command literally", async () => {
    const marker = join(await tempDir(), "pwned");
    const arg = `$(touch ${marker}); * \`id\``;
    const v = await rotationValue(policy([await script(`printf '%s' "$1"`), arg]), "acme", "a");
    expect(v.toString()).toBe(arg);
    expect(existsSync(marker)).toBe(false);
  });

  it("gives the command the tenant and name, and never Polyvault's own credentials", async () => {
    const s = await script(
      `printf '%s|%s|%s|%s' "$POLYVAULT_TENANT" "$POLYVAULT_SECRET_NAME" "\${POLYVAULT_MASTER_KEY:-none}" "\${POLYVAULT_PASSPHRASE:-none}"`,
    );
    const v = await rotationValue(policy([s]), "acme", "db/url", { PATH: process.env.PATH, POLYVAULT_MASTER_KEY: "bWFzdGVy", POLYVAULT_PASSPHRASE: "pw" });
    expect(v.toString()).toBe("acme|db/url|none|none");
  });

  it("a failing command is an error that names the exit code and nothing it printed", async () => {
    const s = await script(`echo ${CANARY}; echo ${CANARY} >&2; exit 3`);
    const err = await caught(() => rotationValue(policy([s]), "acme", "db"));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe(`rotation command of policies[0] (${s}) for acme/db exited with code 3`);
    expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain(CANARY);
  });

  it("refuses empty output, too much output, a missing executable, and a command that hangs", async () => {
    const empty = await script("exit 0");
    expect((await caught(() => rotationValue(policy([empty]), "acme", "a"))).message).toBe(
      `rotation command of policies[0] (${empty}) for acme/a printed nothing: it must print the new value on stdout`,
    );
    const big = await script("head -c 70000 /dev/zero");
    const e2 = await caught(() => rotationValue(policy([big]), "acme", "a"));
    expect(e2).toBeInstanceOf(InvalidInputError);
    expect(e2.message).toBe(`rotation command of policies[0] (${big}) for acme/a printed more than 65536 bytes`);
    const e3 = await caught(() => rotationValue(policy(["/nonexistent/rotate"]), "acme", "a"));
    expect(e3.message).toBe("rotation command of policies[0] (/nonexistent/rotate) for acme/a cannot be run (ENOENT)");
    const slow = await script(`sleep 5; echo ${CANARY}`);
    const e4 = await caught(() => rotationValue(policy([slow], { timeoutMs: 300 }), "acme", "a"));
    expect(e4).toBeInstanceOf(UnavailableError);
    expect(e4.message).toBe(`rotation command of policies[0] (${slow}) for acme/a did not finish within 0.3 s`);
  });
});
