#!/usr/bin/env node
/**
 * Polyvault envelope seal+open of a 1 KiB secret vs raw node:crypto AES-256-GCM seal+open, in one
 * process. Run after `npx tsc -b packages/core`: `node bench/crypto.mjs [--json] [--size BYTES]`.
 *
 * Raw baseline, per operation: random 12-byte IV; createCipheriv/setAAD/update/final/getAuthTag with
 * the output concatenated (iv ‖ ct ‖ tag); then createDecipheriv/setAAD/setAuthTag/update/final.
 * Polyvault, per operation: seal() then open() with a cached tenant key; the per-message HKDF, key
 * commitment and AAD are all paid on every call (nothing per-message is cached).
 *
 * Method: warm-up, then `rounds` rounds alternating the two (so drift hits both alike), each round
 * timing a fixed batch; the figure per side is the median round. Ratio = raw ops/s ÷ Polyvault ops/s.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const core = new URL("../packages/core/dist/index.js", import.meta.url);

function rawSealOpen(key, aad, plaintext) {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  c.setAAD(aad);
  const sealed = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
  const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12), { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(12, sealed.length - 16));
  d.final();
  return out;
}

function timeBatch(fn, batch) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measures both sides; returns ops/s (median of rounds) and the ratio. Options: size (bytes, 1024),
 * rounds (15), batch (operations per round, 4000), warmup (operations per side, 20000).
 */
export async function benchCrypto({ size = 1024, rounds = 15, batch = 4000, warmup = 20000 } = {}) {
  const { Keyring, seal, open } = await import(core.href);
  const dir = await mkdtemp(join(tmpdir(), "polyvault-bench-"));
  const keyring = await Keyring.open(dir, randomBytes(32));
  try {
    const plaintext = randomBytes(size);
    const rawKey = randomBytes(32);
    const rawAad = Buffer.from("tenant=acme|name=SPOTIFY_CLIENT_SECRET"); // comparable AAD to bind
    const sctx = { tenant: "acme", name: "SPOTIFY_CLIENT_SECRET", revision: 1 };
    const octx = { tenant: "acme", name: "SPOTIFY_CLIENT_SECRET", expectedRevision: 1 };
    const raw = () => rawSealOpen(rawKey, rawAad, plaintext);
    const pv = () => open(keyring, octx, seal(keyring, sctx, plaintext));
    if (!pv().plaintext.equals(plaintext) || !raw().equals(plaintext)) throw new Error("round trip failed");
    timeBatch(raw, warmup);
    timeBatch(pv, warmup);
    const rawRates = [];
    const pvRates = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first so neither always runs right after a GC or a JIT event.
      if (r % 2 === 0) {
        rawRates.push(batch / timeBatch(raw, batch));
        pvRates.push(batch / timeBatch(pv, batch));
      } else {
        pvRates.push(batch / timeBatch(pv, batch));
        rawRates.push(batch / timeBatch(raw, batch));
      }
    }
    const rawOps = median(rawRates);
    const polyvaultOps = median(pvRates);
    return {
      size,
      rounds,
      batch,
      node: process.version,
      openssl: process.versions.openssl,
      rawOpsPerSec: Math.round(rawOps),
      polyvaultOpsPerSec: Math.round(polyvaultOps),
      rawMicros: 1e6 / rawOps,
      polyvaultMicros: 1e6 / polyvaultOps,
      ratio: rawOps / polyvaultOps,
      goal: 1.3,
    };
  } finally {
    keyring.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const sizeAt = args.indexOf("--size");
  const size = sizeAt >= 0 ? Number(args[sizeAt + 1]) : 1024;
  const r = await benchCrypto({ size });
  if (args.includes("--json")) {
    console.log(JSON.stringify(r));
  } else {
    const f = (n) => n.toLocaleString("en-US").padStart(9);
    console.log(`crypto, ${r.size}-byte secret, seal+open (node ${r.node}, OpenSSL ${r.openssl}; median of ${r.rounds} rounds)`);
    console.log(`  raw node:crypto AES-256-GCM  ${f(r.rawOpsPerSec)} ops/s  ${r.rawMicros.toFixed(1).padStart(6)} µs/op`);
    console.log(`  Polyvault envelope v1        ${f(r.polyvaultOpsPerSec)} ops/s  ${r.polyvaultMicros.toFixed(1).padStart(6)} µs/op`);
    console.log(`  ratio (raw ÷ Polyvault)      ${r.ratio.toFixed(2)}×  (goal ≤ ${r.goal}×)`);
  }
}
