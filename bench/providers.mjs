#!/usr/bin/env node
/**
 * Provider throughput against the real servers (the ones `npm test` uses; see docs/testing.md), with the
 * file provider as the baseline: put, get and list per second through the Provider API, and set
 * (head + encrypt + put) and get (get + decrypt) per second through the SecretManager, at concurrency 8
 * and 1. A provider whose server is not up is reported as "not measured (reason)", never guessed.
 *
 * Run after the build, with the servers up: `npm run emulators -- up` then
 * `node bench/providers.mjs [--json] [--count N] [--size BYTES] [--only azure,aws]` (or `npm run bench -- providers`).
 * Each provider writes `count` secrets per concurrency level into a tenant of its own and purges them.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// The AWS SDK prints a notice about future Node versions when it loads; it would interleave with the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const pkg = (name) => import(new URL(`../packages/${name}/dist/index.js`, import.meta.url));
const core = await pkg("core");
const env = process.env;

/** The servers CONTRACT.md names, at their POLYVAULT_TEST_* addresses (defaults as in the tests). */
const TARGETS = {
  file: {
    endpoint: "a temporary directory",
    create: async (dir) => (await pkg("provider-file")).createFileProvider({ name: "file", dir: join(dir, "store") }),
  },
  aws: {
    endpoint: env.POLYVAULT_TEST_AWS_ENDPOINT || "http://127.0.0.1:4566",
    create: async () =>
      (await pkg("provider-aws")).createAwsProvider({
        name: "aws",
        region: "us-east-1",
        endpoint: TARGETS.aws.endpoint,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
  },
  vault: {
    endpoint: env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200",
    create: async () =>
      (await pkg("provider-vault")).createVaultProvider({
        name: "vault",
        address: TARGETS.vault.endpoint,
        token: env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev",
      }),
  },
  azure: {
    // Not Azure itself: no Key Vault emulator can be installed here, so the row is the project's own test
    // server (test/emulators/keyvault/), with the service's documented throttling (300 creations and 4,000
    // transactions per 10 s) unless POLYVAULT_TEST_AZURE_URL names another vault.
    label: env.POLYVAULT_TEST_AZURE_URL ? "azure" : "azure (measured against the project's Key Vault API server)",
    endpoint: env.POLYVAULT_TEST_AZURE_URL || "https://localhost:8443",
    create: async () =>
      (await pkg("provider-azure")).createAzureProvider({
        name: "azure",
        vaultUrl: TARGETS.azure.endpoint,
        credential: { kind: "static", token: "emulator" },
        tls: { rejectUnauthorized: false },
        disableChallengeResourceVerification: true,
      }),
  },
};

/** `n` operations with `c` workers; operations per second. */
async function rate(n, c, op) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = next++; i < n; i = next++) await op(i);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function measure(provider, keyring, run, { count, size, concurrency }) {
  const rows = [];
  const value = randomBytes(size);
  for (const c of concurrency) {
    const tenant = core.parseTenantId(`${run}-${provider.type}-c${c}`);
    const manager = new core.SecretManager({ tenant, keyring, primary: provider });
    const names = Array.from({ length: count }, (_, i) => `bench/p${i}`);
    const putPerSec = await rate(count, c, (i) => provider.put(tenant, names[i], value));
    const getPerSec = await rate(count, c, async (i) => (await provider.get(tenant, names[i])).value.fill(0));
    const rounds = Math.max(2, Math.min(10, Math.round(count / 20)));
    let heads = 0;
    const listPerSec = await rate(rounds, c, async () => {
      for await (const _ of core.listAll(provider, tenant)) heads++;
    });
    if (heads !== rounds * count) throw new Error(`${provider.type}: listing saw ${heads} heads, expected ${rounds * count}`);
    const setPerSec = await rate(count, c, (i) => manager.set(`bench/m${i}`, value));
    const mgetPerSec = await rate(count, c, async (i) => (await manager.get(`bench/m${i}`)).wipe());
    rows.push({
      provider: provider.type,
      label: TARGETS[provider.type]?.label ?? provider.type,
      concurrency: c,
      putPerSec,
      getPerSec,
      listPerSec,
      headsPerSec: listPerSec * count,
      setPerSec,
      mgetPerSec,
    });
    // Clean-up, untimed: every secret written here is purged, one at a time (moto 5.2.5's server answers
    // 500 "dictionary changed size during iteration" to lookups racing with deletes).
    const all = [...names, ...names.map((n) => n.replace("/p", "/m"))];
    await rate(all.length, 1, (i) => provider.delete(tenant, all[i], { purge: true }));
  }
  return rows;
}

export async function benchProviders({ count = 200, size = 1024, concurrency = [8, 1], only = Object.keys(TARGETS) } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "pv-bench-providers-"));
  const run = `bench${Date.now().toString(36)}`;
  const rows = [];
  const notMeasured = [];
  try {
    const keyring = await core.Keyring.open(dir, (await core.initMasterKey(dir)).key);
    for (const name of only) {
      const t = TARGETS[name];
      const skip = env[`POLYVAULT_TEST_${name.toUpperCase()}_UNAVAILABLE`];
      if (skip) {
        notMeasured.push({ provider: name, reason: `its server cannot be installed here: ${skip}` });
        continue;
      }
      const provider = await t.create(dir);
      try {
        const health = await provider.health();
        if (!health.ok) {
          notMeasured.push({
            provider: name,
            reason: `no server answers at ${t.endpoint}: ${health.detail ?? "health check failed"}; start it with npm run emulators -- up ${name}`,
          });
          continue;
        }
        rows.push(...(await measure(provider, keyring, run, { count, size, concurrency })));
      } finally {
        await provider.close();
      }
    }
    keyring.close();
    return { count, size, rows, notMeasured };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function print({ count, size, rows, notMeasured }) {
  const r = (x) => String(Math.round(x));
  const head = ["provider", "conc", "put/s", "get/s", "list/s", "heads/s", "set/s (mgr)", "get/s (mgr)"];
  const body = rows.map((x) => [
    x.label,
    String(x.concurrency),
    r(x.putPerSec),
    r(x.getPerSec),
    x.listPerSec.toFixed(1),
    r(x.headsPerSec),
    r(x.setPerSec),
    r(x.mgetPerSec),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  console.log(`providers: ${count} secrets of ${size} bytes per provider and concurrency; list = one full listing of the ${count}`);
  for (const line of [head, ...body]) console.log(line.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
  for (const n of notMeasured) console.log(`${n.provider}: not measured (${n.reason})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const arg = (flag, dflt) => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : dflt);
  const only = process.argv.includes("--only") ? String(process.argv[process.argv.indexOf("--only") + 1]).split(",") : undefined;
  const result = await benchProviders({ count: arg("--count", 200), size: arg("--size", 1024), ...(only ? { only } : {}) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else print(result);
}
