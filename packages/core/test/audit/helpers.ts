/** Audit test helpers: temporary data directories, a log of N records, and tampered copies of it. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { AuditLog, type AuditOptions } from "../../src/index.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = "pv-audit-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function record(i: number, extra: Record<string, string> = {}) {
  return {
    actor: `user-${i % 7}`,
    tenant: i % 2 ? "acme" : "globex",
    action: i % 3 ? "read" : "write",
    name: `db/secret-${i}`,
    provider: "local",
    outcome: "ok",
    requestId: `req-${i}`,
    ...extra,
  };
}

/** A closed log of `count` records (all queued at once: one group-committed write). */
export async function makeLog(count: number, options: AuditOptions = {}, dir = tempDir()): Promise<string> {
  const log = new AuditLog(dir, { checkpointEvery: 100, ...options });
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(record(i + 1))));
  await log.close();
  return dir;
}

export function lines(dir: string): string[] {
  return readFileSync(join(dir, "audit.log"), "utf8").split("\n").slice(0, -1);
}

/** A copy of the data directory whose audit.log lines are replaced by `edit(lines)`. */
export function tampered(dir: string, edit: (lines: string[]) => string[] | string): string {
  const copy = tempDir("pv-audit-tampered-");
  cpSync(dir, copy, { recursive: true });
  const out = edit(lines(dir));
  writeFileSync(join(copy, "audit.log"), typeof out === "string" ? out : `${out.join("\n")}\n`);
  return copy;
}

/** 0-based index of the line holding record `seq`. */
export function indexOfSeq(all: string[], seq: number): number {
  const i = all.findIndex((l) => (JSON.parse(l) as { seq?: number }).seq === seq);
  if (i < 0) throw new Error(`no record ${seq}`);
  return i;
}
