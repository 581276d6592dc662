/** Appends from several processes at once, and what a process that exits (or is killed) leaves behind. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog, verifyAuditLog } from "../../src/index.js";
import { lines, record, tempDir } from "./helpers.js";

const CORE = resolve(import.meta.dirname, "../../dist/index.js");

/** Runs a module snippet in a new node process with `AuditLog` and `dir` in scope; resolves with its exit. */
function child(dir: string, body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; child: ReturnType<typeof spawn> }> {
  const src = `const { AuditLog } = await import(${JSON.stringify(CORE)}); const dir = ${JSON.stringify(dir)};\n${body}`;
  const c = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "ignore", "inherit"] });
  return new Promise((r) => c.on("exit", (code, signal) => r({ code, signal, child: c })));
}

describe("audit log across processes", () => {
  it("4 processes appending 150 records each at the same time make one valid chain of 600 records", async () => {
    const dir = tempDir();
    const body = `const log = new AuditLog(dir, { checkpointEvery: 25 });
      for (let i = 0; i < 150; i++) await log.append({ actor: "p" + process.pid, action: "read", outcome: "ok", tenant: "acme", name: "s/" + i });
      await log.close();`;
    const results = await Promise.all([1, 2, 3, 4].map(() => child(dir, body)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const v = verifyAuditLog(dir);
    expect(v).toMatchObject({ ok: true, records: 600, unsignedTail: 0 });
    const actors = new Set(
      lines(dir)
        .map((l) => JSON.parse(l).actor)
        .filter(Boolean),
    );
    expect(actors.size).toBe(4);
  }, 60_000);

  it("a CLI-like process appends beside a saturating writer (64 always in flight) and both make one chain", async () => {
    const dir = tempDir();
    // The "gateway": 64 appends always in flight until the other process has finished.
    const busy = child(
      dir,
      `const log = new AuditLog(dir); let n = 0; const fs = await import("node:fs");
      const worker = async () => { while (!fs.existsSync(dir + "/cli-done")) { await log.append({ actor: "gateway", action: "read", outcome: "ok" }); if (++n === 256) fs.writeFileSync(dir + "/busy", ""); } };
      await Promise.all(Array.from({ length: 64 }, worker)); await log.close();`,
    );
    while (!existsSync(join(dir, "busy"))) await new Promise((r) => setTimeout(r, 20));
    const cli = await child(
      dir,
      `const log = new AuditLog(dir);
      for (let i = 0; i < 20; i++) await log.append({ actor: "cli", action: "write", outcome: "ok", name: "s/" + i });
      await log.close(); (await import("node:fs")).writeFileSync(dir + "/cli-done", "");`,
    );
    expect(cli.code).toBe(0);
    expect((await busy).code).toBe(0);
    const v = verifyAuditLog(dir);
    expect(v).toMatchObject({ ok: true, unsignedTail: 0 });
    const actors = lines(dir).map((l) => JSON.parse(l).actor);
    expect(actors.filter((a) => a === "cli")).toHaveLength(20);
    expect(actors.filter((a) => a === "gateway").length).toBeGreaterThanOrEqual(256);
  }, 120_000);

  it("a process that exits without close() still seals what it wrote (exit hook)", async () => {
    const dir = tempDir();
    const r = await child(dir, `const log = new AuditLog(dir); await log.append({ actor: "a", action: "read", outcome: "ok" }); process.exit(0);`);
    expect(r.code).toBe(0);
    expect(lines(dir).map((l) => JSON.parse(l).type)).toEqual(["record", "checkpoint"]);
    expect(verifyAuditLog(dir).ok).toBe(true);
  }, 30_000);

  it("a process killed with SIGKILL leaves an unsigned tail; verify names it; the next writer seals it", async () => {
    const dir = tempDir();
    const r = await child(
      dir,
      `const log = new AuditLog(dir, { checkpointSeconds: 3600 }); await log.append({ actor: "a", action: "write", outcome: "started" }); process.kill(process.pid, "SIGKILL");`,
    );
    expect(r.signal).toBe("SIGKILL");
    const v = verifyAuditLog(dir);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v).toMatchObject({ firstBad: { line: 1, seq: 1 }, unsignedTail: 1 });
    const next = new AuditLog(dir);
    await next.append(record(2));
    await next.close();
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, records: 2 });
  }, 30_000);
});
