#!/usr/bin/env node
/**
 * File-provider throughput on this machine: put (an encrypted 1 KiB secret, atomic + fsync) and get
 * (read + decrypt) per second through the SecretManager, against the same operations on the raw
 * file system (writeFile + fsync + rename; readFile) as the baseline, in one process.
 * Run after the build: `node bench/file-provider.mjs [--json] [--count N]`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const core = await import(new URL("../packages/core/dist/index.js", import.meta.url));
const { createFileProvider } = await import(new URL("../packages/provider-file/dist/index.js", import.meta.url));

async function rawPut(dir, i, value) {
  const tmp = join(dir, `.tmp-${i}`);
  const fh = await open(tmp, "w", 0o600);
  await fh.writeFile(value);
  await fh.sync();
  await fh.close();
  await rename(tmp, join(dir, `f-${i}`));
  const d = await open(dir, "r");
  await d.sync();
  await d.close();
}

export async function benchFileProvider({ count = 500, size = 1024 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "pv-bench-file-"));
  try {
    const mk = await core.initMasterKey(dir);
    const keyring = await core.Keyring.open(dir, mk.key);
    const provider = createFileProvider({ name: "local", dir: join(dir, "store") });
    const tenant = core.parseTenantId("bench");
    const manager = new core.SecretManager({ tenant, keyring, primary: provider });
    const rawDir = await mkdtemp(join(dir, "raw-"));
    const value = randomBytes(size);

    const time = async (fn) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < count; i++) await fn(i);
      return count / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    // warm-up
    for (let i = 0; i < 20; i++) {
      await manager.set(`warm/${i}`, value);
      await rawPut(rawDir, `w${i}`, value);
    }
    const rawPutPerSec = await time((i) => rawPut(rawDir, i, value));
    const putPerSec = await time((i) => manager.set(`s/${i}`, value));
    const rawGetPerSec = await time((i) => readFile(join(rawDir, `f-${i}`)));
    const getPerSec = await time(async (i) => (await manager.get(`s/${i}`)).wipe());
    keyring.close();
    return {
      count,
      size,
      putPerSec: Math.round(putPerSec),
      rawPutPerSec: Math.round(rawPutPerSec),
      putRatio: +(rawPutPerSec / putPerSec).toFixed(2),
      getPerSec: Math.round(getPerSec),
      rawGetPerSec: Math.round(rawGetPerSec),
      getRatio: +(rawGetPerSec / getPerSec).toFixed(2),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes("--json");
  const countArg = process.argv.indexOf("--count");
  const r = await benchFileProvider(countArg > 0 ? { count: Number(process.argv[countArg + 1]) } : {});
  if (json) console.log(JSON.stringify(r));
  else {
    console.log(
      `file provider, ${r.count} × ${r.size}-byte secrets (SecretManager: encrypt + lock + atomic durable write; raw: write + fsync + rename + fsync dir)`,
    );
    console.log(`  put: ${r.putPerSec}/s   raw fs: ${r.rawPutPerSec}/s   (raw is ${r.putRatio}× faster)`);
    console.log(`  get: ${r.getPerSec}/s   raw fs: ${r.rawGetPerSec}/s   (raw is ${r.getRatio}× faster)`);
  }
}
