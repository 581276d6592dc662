/**
 * `audit export --incremental` across SIGKILLs (docs/audit.md, "Scheduled export"): real CLI processes,
 * killed while they write an export; concatenated, the exports' records equal `audit export` of the whole
 * log (no gap, no duplicate); each file verifies alone (`audit verify --file`), with the data directory's
 * key and elsewhere with only the public key; no value ever in an export.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { cli, cliAsync, filesContaining, killAt, sandbox } from "./helpers.js";

const exportNames = (dir: string) =>
  readdirSync(dir)
    .filter((n) => /^audit-\d{12}-\d{12}\.ndjson$/.test(n))
    .sort();

/** Bytes of the export being written (+1 once its temporary file exists), 0 before. */
function writing(dir: string): number {
  if (!existsSync(dir)) return 0;
  const tmp = readdirSync(dir).find((n) => n.startsWith(".audit-export-") && n.endsWith(".tmp"));
  if (!tmp) return 0;
  try {
    return 1 + statSync(join(dir, tmp)).size;
  } catch {
    return 0;
  }
}

async function appendRecords(home: string, from: number, count: number): Promise<void> {
  const log = new AuditLog(home, { checkpointEvery: 2000 });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      log.append({
        actor: "alice",
        tenant: "acme",
        action: "read",
        name: `db/secret-${from + i}`,
        provider: "local",
        outcome: "ok",
        requestId: `r-${from + i}`,
      }),
    ),
  );
  await log.close();
}

describe("audit export --incremental across SIGKILL", () => {
  it("killed runs leave no gap and no duplicate; each file verifies alone; no value in any export", async () => {
    const sb = sandbox();
    const out = join(sb.cwd, "exports");
    expect(cli(sb, ["init"]).code).toBe(0);
    const canary = "CANARY-audit-export-7f3a9c";
    expect(cli(sb, ["secrets", "set", "db/url", "--tenant", "acme", "--value-stdin"], canary).code).toBe(0);
    expect(cli(sb, ["secrets", "get", "db/url", "--tenant", "acme"]).out).toBe(canary);
    const kills: number[] = [];
    let n = 0;
    // Kill as soon as the export file is opened, then once 1 MiB and 2 MiB of it (of about 4) are written.
    for (const at of [1, (1 << 20) + 1, (2 << 20) + 1]) {
      await appendRecords(sb.home, n, 15_000);
      n += 15_000;
      const child = cliAsync(sb, ["audit", "export", "--incremental", "--dir", out]);
      const k = await killAt(child, () => writing(out), at);
      if (k.killed) kills.push(k.progress);
      // A run that completes in between (the machine was idle) is fine: the next one continues from it.
      const r = cli(sb, ["audit", "export", "--incremental", "--dir", out, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.out).rejected).toEqual([]);
    }
    expect(kills.length).toBeGreaterThanOrEqual(2); // at least two runs died while writing their file
    // As if killed after its file was renamed into place but before the cursor moved: the next run keeps that file.
    const cursorBefore = readFileSync(join(out, "audit-export.cursor"));
    const done = JSON.parse(cli(sb, ["audit", "export", "--incremental", "--dir", out, "--json"]).out);
    writeFileSync(join(out, "audit-export.cursor"), cursorBefore);
    const last = JSON.parse(cli(sb, ["audit", "export", "--incremental", "--dir", out, "--json"]).out);
    expect(last.adopted).toBe(done.file.name);
    expect(last.file.first).toBe(done.file.last + 1);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // Concatenated, the exports' records are `audit export` of the whole log, up to where they end.
    const names = exportNames(out);
    const entries = names.flatMap((f, i) => {
      const lines = readFileSync(join(out, f), "utf8").split("\n").slice(0, -2); // without the trailer
      return i === 0 ? lines : lines.slice(1); // each later file starts with the checkpoint the one before ended with
    });
    const seqs = entries.map((l) => JSON.parse(l).seq as number);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1)); // every entry once, in order
    const records = entries.filter((l) => JSON.parse(l).type === "record");
    const whole = cli(sb, ["audit", "export"]);
    expect(whole.code).toBe(0);
    const wholeLines = whole.out.trimEnd().split("\n");
    expect(wholeLines.slice(0, records.length)).toEqual(records);
    // After them: only the last run's outcome record and this export's own write-ahead record.
    expect(wholeLines.slice(records.length).map((l) => [JSON.parse(l).action, JSON.parse(l).outcome])).toEqual([
      ["audit.export", "ok"],
      ["audit.export", "started"],
    ]);
    expect(records.length).toBeGreaterThan(45_000);

    // Each file alone: with the data directory's key (MACs too), and elsewhere with only the public key.
    const pem = cli(sb, ["audit", "public-key"]).out;
    writeFileSync(join(sb.cwd, "audit.pub"), pem);
    const elsewhere = sandbox();
    mkdirSync(elsewhere.cwd, { recursive: true });
    for (const f of names) {
      const here = cli(sb, ["audit", "verify", "--file", join(out, f), "--json"]);
      expect(here.code, here.stderr).toBe(0);
      expect(JSON.parse(here.out)).toMatchObject({ ok: true, keyPinned: true, macsChecked: true });
      const there = cli(elsewhere, ["audit", "verify", "--file", join(out, f), "--public-key", join(sb.cwd, "audit.pub"), "--json"]);
      expect(there.code, there.stderr).toBe(0);
      expect(JSON.parse(there.out)).toMatchObject({ ok: true, keyPinned: true, macsChecked: false });
    }
    expect(existsSync(elsewhere.home)).toBe(false); // verifying a file creates nothing
    expect(filesContaining(out, Buffer.from(canary))).toEqual([]);
  }, 600_000);
});
