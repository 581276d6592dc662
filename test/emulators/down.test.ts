// `npm run emulators -- down` stops only the servers this checkout started: the pid files are shared by
// every checkout of one machine user, and other work's servers must keep running. Run against a private
// run directory with a stand-in process (a `sleep`), never against the real servers.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve(import.meta.dirname, "cli.mjs");
const CHECKOUT = resolve(import.meta.dirname, "..", "..");
const runDir = mkdtempSync(join(tmpdir(), "pv-emu-run-"));
const env: NodeJS.ProcessEnv = { ...process.env, POLYVAULT_EMULATOR_RUN: runDir };
delete env.POLYVAULT_TEST_VAULT_ADDR;
const standIns: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process in its own group, recorded as the "vault" server with the given owner. */
function standIn(owner: string | undefined): number {
  const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  child.unref();
  const pid = child.pid as number;
  standIns.push(pid);
  writeFileSync(join(runDir, "vault.pid"), String(pid));
  if (owner !== undefined) writeFileSync(join(runDir, "vault.owner"), `${owner}\n`);
  return pid;
}

const down = (...extra: string[]) => {
  const r = spawnSync(process.execPath, [CLI, "down", "vault", "--json", ...extra], { env, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<{ name: string; state: string; note: string }>;
};

afterAll(() => {
  for (const pid of standIns) if (alive(pid)) process.kill(pid, "SIGKILL");
});

describe("npm run emulators -- down", () => {
  it("leaves a server another checkout started running, and says so", () => {
    const pid = standIn("/elsewhere/polyvault");
    expect(down()).toEqual([{ name: "vault", state: "up", note: "started by /elsewhere/polyvault: left running (`--force` stops it)" }]);
    expect(alive(pid)).toBe(true);
  });

  it("leaves a server whose starter is unknown (a pid file with no owner) running", () => {
    const pid = standIn(undefined);
    writeFileSync(join(runDir, "vault.owner"), "");
    expect(down()[0]?.note).toBe("started by another checkout: left running (`--force` stops it)");
    expect(alive(pid)).toBe(true);
  });

  it("stops a server this checkout started", async () => {
    const pid = standIn(CHECKOUT);
    expect(down()).toEqual([{ name: "vault", state: "down", note: "stopped" }]);
    // stopDetached waits for the process to go; a zombie child of ours may linger as a pid until reaped.
    expect(spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim()).toMatch(/^(Z.*)?$/);
  });

  it("--force stops one another checkout started", () => {
    const pid = standIn("/elsewhere/polyvault");
    expect(down("--force")[0]?.state).toBe("down");
    expect(spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim()).toMatch(/^(Z.*)?$/);
  });
});
