#!/usr/bin/env node
/**
 * The audit log on this machine: appends per second (checkpoint every 1000 entries, signed with Ed25519),
 * one at a time and 64 in flight (group commit), under both fsync policies; and the cost of auditing a
 * SecretManager `get` on the file provider: gets per second with no steps vs with the audit step (and
 * with access control + audit), in one process, as a ratio.
 * Run after the build: `node bench/audit.mjs [--json] [--count N]`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const core = await import(new URL("../packages/core/dist/index.js", import.meta.url));
const { createFileProvider } = await import(new URL("../packages/provider-file/dist/index.js", import.meta.url));

const perSec = (n, t0) => Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
const rec = (i) => ({ actor: "bench", tenant: "bench", action: "read", name: `s/${i}`, provider: "local", outcome: "ok" });

async function appendRate(dir, count, fsync, inFlight) {
  const log = new core.AuditLog(dir, { fsync, checkpointEvery: 1000 });
  await log.append(rec(0)); // creates the signing key outside the timing
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i += inFlight) await Promise.all(Array.from({ length: Math.min(inFlight, count - i) }, (_, k) => log.append(rec(i + k))));
  await log.close();
  const rate = perSec(count, t0);
  if (!core.verifyAuditLog(dir).ok) throw new Error("the benchmark's log does not verify");
  return rate;
}

async function getRate(manager, count) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) (await manager.get(`s/${i % 100}`)).wipe();
  return perSec(count, t0);
}

export async function benchAudit({ count = 2000 } = {}) {
  const root = await mkdtemp(join(tmpdir(), "pv-bench-audit-"));
  try {
    const appends = {};
    for (const fsync of ["always", "checkpoint"]) {
      appends[fsync] = {
        sequential: await appendRate(await mkdtemp(join(root, "seq-")), count, fsync, 1),
        concurrent64: await appendRate(await mkdtemp(join(root, "conc-")), count * 5, fsync, 64),
      };
    }
    const dataDir = await mkdtemp(join(root, "get-"));
    const mk = await core.initMasterKey(dataDir);
    const keyring = await core.Keyring.open(dataDir, mk.key);
    const primary = createFileProvider({ name: "local", dir: join(dataDir, "store") });
    const tenant = core.parseTenantId("bench");
    const plain = new core.SecretManager({ tenant, keyring, primary, actor: "bench" });
    for (let i = 0; i < 100; i++) await plain.set(`s/${i}`, randomBytes(1024));
    const gets = { count };
    for (const fsync of ["always", "checkpoint"]) {
      const security = new core.Security({ dataDir: await mkdtemp(join(root, "sec-")), audit: { fsync } });
      const audited = new core.SecretManager({ tenant, keyring, primary, actor: "bench", steps: security.steps(undefined) });
      const token = "bench-token";
      const guarded = new core.Security({
        dataDir: await mkdtemp(join(root, "acc-")),
        audit: { fsync },
        access: { principals: { bench: { tokenSha256: core.tokenSha256(token), roles: [{ role: "reader", tenants: ["bench"] }] } } },
      });
      const withAccess = new core.SecretManager({ tenant, keyring, primary, steps: guarded.steps(await guarded.authenticate(token)) });
      await getRate(plain, 200); // warm-up
      const off = await getRate(plain, count);
      const on = await getRate(audited, count);
      const both = await getRate(withAccess, count);
      gets[fsync] = {
        offPerSec: off,
        auditPerSec: on,
        accessAndAuditPerSec: both,
        auditCostRatio: +(off / on).toFixed(2),
        accessAndAuditCostRatio: +(off / both).toFixed(2),
      };
      await security.close();
      await guarded.close();
    }
    keyring.close();
    return { appends, gets };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  const countArg = process.argv.indexOf("--count");
  const r = await benchAudit(countArg > 0 ? { count: Number(process.argv[countArg + 1]) } : {});
  if (json) console.log(JSON.stringify(r));
  else {
    console.log("audit log appends/s (checkpoint every 1000 entries, Ed25519-signed; every record MACed and hash-chained)");
    for (const [fsync, a] of Object.entries(r.appends))
      console.log(`  fsync=${fsync.padEnd(10)} one at a time: ${a.sequential}/s   64 in flight: ${a.concurrent64}/s`);
    console.log(`SecretManager get on the file provider, ${r.gets.count} × 1 KiB, audit off vs on`);
    for (const fsync of ["always", "checkpoint"]) {
      const g = r.gets[fsync];
      console.log(
        `  fsync=${fsync.padEnd(10)} off: ${g.offPerSec}/s   audit: ${g.auditPerSec}/s (${g.auditCostRatio}× the cost)   access+audit: ${g.accessAndAuditPerSec}/s (${g.accessAndAuditCostRatio}×)`,
      );
    }
  }
}
