/**
 * Issue 15 finding 11: every input the CLI reads has a bound. `--value-file /dev/zero` grew to 1.5 GB;
 * now reading stops one byte past the limit and the command exits 2 (TOO_LARGE) having changed nothing.
 */
import { spawn } from "node:child_process";
import { openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "../../../test/harness/cli.js";

const MiB = 1024 * 1024;
const tooLarge = (what: string, limit: string) =>
  `polyvault: TOO_LARGE: ${what} is larger than ${limit}; it was not read past that limit and nothing was changed\n`;

/** Runs the CLI with stdin fed `total` bytes through a pipe; how many bytes the child took before it hung up. */
function feedStdin(sb: { cwd: string; env: NodeJS.ProcessEnv }, args: string[], total: number): Promise<{ code: number; stderr: string; written: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: sb.env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let written = 0;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.stdin.on("error", () => undefined); // EPIPE once the child stops reading
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (written < total && !child.stdin.destroyed) {
        written += chunk.length;
        if (!child.stdin.write(chunk)) return void child.stdin.once("drain", pump);
      }
      child.stdin.end();
    };
    pump();
    child.on("close", (code) => resolve({ code: code ?? -1, stderr, written }));
  });
}

describe("input limits", { timeout: 600_000 }, () => {
  const sb = sandbox();
  const secrets = () => JSON.parse(cli(sb, ["secrets", "list", "--tenant", "t", "--json"]).out).secrets;
  beforeAll(() => expect(cli(sb, ["init"]).code).toBe(0));

  it("--value-file /dev/zero: exit 2 at the limit, nothing stored", () => {
    const r = cli(sb, ["secrets", "set", "K", "--tenant", "t", "--value-file", "/dev/zero"]);
    expect(r.stderr).toBe(tooLarge("--value-file /dev/zero", "1 MiB"));
    expect(r.code).toBe(2);
    expect(secrets()).toEqual([]);
  });

  it("--value-stdin: an oversized pipe is not read to its end; an endless one ends too; a value under the limit is stored", async () => {
    const r = await feedStdin(sb, ["secrets", "set", "K", "--tenant", "t", "--value-stdin"], 32 * MiB);
    expect(r.stderr).toBe(tooLarge("the value on stdin", "1 MiB"));
    expect(r.code).toBe(2);
    // The child hung up after about the limit (plus what the pipe buffers), not after 32 MiB.
    expect(r.written).toBeLessThan(4 * MiB);
    expect(secrets()).toEqual([]);

    const endless = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "secrets", "set", "K", "--tenant", "t", "--value-stdin"], {
        cwd: sb.cwd,
        env: sb.env,
        stdio: [openSync("/dev/zero", "r"), "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
    expect(endless).toEqual({ code: 2, stderr: tooLarge("the value on stdin", "1 MiB") });

    // Exactly the limit is read whole: the refusal is then the provider's (its limit counts the envelope).
    const exact = cli(sb, ["secrets", "set", "K", "--tenant", "t", "--value-stdin"], Buffer.alloc(MiB, 0x62));
    expect(exact.stderr).toMatch(/^polyvault: TOO_LARGE: /);
    expect(exact.stderr).not.toMatch(/not read past that limit/);
    const fits = cli(sb, ["secrets", "set", "K", "--tenant", "t", "--value-stdin"], Buffer.alloc(512 * 1024, 0x62));
    expect([fits.code, fits.stderr]).toEqual([0, ""]);
  });

  it(".env files, templates, configuration, bundles, PEM files and the passphrase are bounded too", () => {
    const big = join(sb.cwd, "big.env");
    writeFileSync(big, `A=${"x".repeat(4 * MiB)}\n`);
    const imp = cli(sb, ["env", "import", big, "--tenant", "u"]);
    expect([imp.code, imp.stderr]).toEqual([2, tooLarge(`.env file ${big}`, "4 MiB")]);
    const zero = cli(sb, ["env", "import", "/dev/zero", "--tenant", "u"]);
    expect([zero.code, zero.stderr]).toEqual([2, tooLarge(".env file /dev/zero", "4 MiB")]);
    const tpl = cli(sb, ["env", "check", "--tenant", "u", "--template", "/dev/zero"]);
    expect([tpl.code, tpl.stderr]).toEqual([2, tooLarge("template /dev/zero", "4 MiB")]);
    expect(JSON.parse(cli(sb, ["secrets", "list", "--tenant", "u", "--json"]).out).secrets).toEqual([]);

    const config = cli(sb, ["secrets", "list", "--tenant", "u", "--config", "/dev/zero"]);
    expect([config.code, config.stderr]).toEqual([2, tooLarge("configuration file /dev/zero", "1 MiB")]);
    const bundle = cli(sb, ["backup", "restore", "/dev/zero", "--tenant", "u"]);
    expect([bundle.code, bundle.stderr]).toEqual([2, tooLarge("backup bundle /dev/zero", "256 MiB")]);
    const pem = cli(sb, ["serve", "--tls-cert", "/dev/zero", "--tls-key", "/dev/zero"]);
    expect([pem.code, pem.stderr]).toEqual([2, tooLarge("--tls-cert /dev/zero", "1 MiB")]);

    const other = sandbox();
    const pass = cli(other, ["init", "--passphrase-stdin"], Buffer.alloc(8192, 0x70));
    expect([pass.code, pass.stderr]).toEqual([2, tooLarge("--passphrase-stdin: the passphrase on stdin", "4 KiB")]);
  });
});
