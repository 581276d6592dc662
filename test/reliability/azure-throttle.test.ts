/**
 * Issue 11's acceptance for throttling: `sync apply` to an Azure target while the Key Vault answers 429
 * to a burst. A private instance of the project's test Key Vault allows 24 transactions in any 10
 * seconds; the azure provider is configured with a rate budget of 2 operations a second (burst 2), which
 * costs the vault about 6 requests a second, so the vault's window fills and it answers 429 with
 * Retry-After. The applies must converge (target = source, nothing left to plan), leave at most one new
 * version per real change, and keep to both budgets: the vault accepted no more than 24 transactions in
 * any 10 seconds, and Polyvault wrote no faster than its configured 2 a second (burst 2).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyVaultServer, createKeyVaultServer } from "../emulators/keyvault/server.mjs";
import { type CliSandbox, run, sandbox } from "../harness/cli.js";
import { readAll, withRuntime } from "./helpers/runtime.js";
import { Tally } from "./helpers/tally.js";

const VAULT_BUDGET = 24;
const PER_SECOND = 2;
const BURST = 2;
const NAMES = 12;
const log: Array<{ method: string; path: string; status: number; at: number }> = [];
const writes = new Map<string, number>();
const tally = new Tally("azure-throttle");
let kv: KeyVaultServer;
let sb: CliSandbox;

beforeAll(async () => {
  kv = await createKeyVaultServer({ port: 0, transitionMs: 100, budget: { all: VAULT_BUDGET, create: VAULT_BUDGET }, onRequest: (r) => log.push(r) });
  sb = sandbox({
    prefix: "azthrottle",
    config: [
      "providers:",
      "  local: { type: file }",
      `  azure: { type: azure, vaultUrl: "${kv.url}", credential: { kind: static, token: throttle }, tls: { rejectUnauthorized: false },`,
      `           disableChallengeResourceVerification: true, prefix: thr, timeoutMs: 30000, rateLimit: { perSecond: ${PER_SECOND}, burst: ${BURST} } }`,
      "routes:",
      "  r: { source: local, targets: [azure], tenants: [acme], prune: true }",
      "",
    ].join("\n"),
  });
  expect((await run(sb, ["init"])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await kv?.close();
});

async function change(count: number, round: number): Promise<void> {
  await withRuntime(sb, async (rt) => {
    const m = rt.manager("acme");
    for (let k = 0; k < count; k++) {
      await m.set(`t/${k}`, `v-${round}-${randomBytes(6).toString("hex")}`);
      writes.set(`t/${k}`, (writes.get(`t/${k}`) ?? 0) + 1);
    }
  });
}

/** Applies until nothing is left to plan (at most 4); returns each apply's exit code and failed count. */
async function applyUntilConverged(): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await run(sb, ["sync", "apply", "--json"], { hangAfterMs: 300_000 });
    tally.trial();
    const failed = r.code === 0 ? JSON.parse(r.out).runs.reduce((a: number, x: { counts?: { failed?: number } }) => a + (x.counts?.failed ?? 0), 0) : -1;
    seen.push(`exit ${r.code}, ${failed} failed${r.code === 0 ? "" : `: ${r.stderr.trim()}`}`);
    const left = await withRuntime(sb, async (rt) => (await (await rt.sync()).plan()).reduce((a, p) => a + p.plan.summary.changes, 0));
    if (r.code === 0 && failed === 0 && left === 0) return seen;
  }
  throw new Error(`sync did not converge under throttling: ${seen.join("; ")}`);
}

/** Most entries of `times` (ms) inside any window of `ms`. */
function peak(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while ((t[j] as number) - (t[i] as number) >= ms) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe("sync apply to azure while Key Vault throttles (429 with Retry-After)", () => {
  it("converges, with at most one new version per real change, within the vault's and Polyvault's budgets", { timeout: 600_000 }, async () => {
    await change(NAMES, 0);
    const first = await applyUntilConverged();
    await change(5, 1);
    const second = await applyUntilConverged();

    // The vault did throttle: otherwise this test proves nothing.
    tally.fault(kv.counts.throttled);
    tally.check(kv.counts.throttled > 0, `the vault answered no 429: ${first.join("; ")} / ${second.join("; ")}`);
    await withRuntime(sb, async (rt) => {
      const azure = rt.provider("azure");
      tally.same(Object.fromEntries(await readAll(rt, azure, "acme")), Object.fromEntries(await readAll(rt, rt.provider("local"), "acme")), "target = source");
      for (const [name, n] of writes) tally.check((await azure.versions("acme" as never, name)).length <= n, `${name}: at most ${n} versions`);
    });
    // The vault never accepted more than its budget in any 10 seconds (429s are not transactions).
    const accepted = log.filter((r) => r.status !== 429 && r.status !== 401).map((r) => r.at);
    tally.check(peak(accepted, 10_000) <= VAULT_BUDGET, `the vault accepted ${peak(accepted, 10_000)} in 10 s, over ${VAULT_BUDGET}`);
    // Polyvault kept to its own budget: version-creating writes (PUT /secrets/{name} accepted) in any
    // window of w seconds are at most burst + perSecond·w.
    const puts = log.filter((r) => r.method === "PUT" && r.status === 200).map((r) => r.at);
    tally.same(puts.length, NAMES + 5, "one accepted PUT per real change");
    for (const w of [1, 2, 5, 10]) tally.check(peak(puts, w * 1000) <= BURST + PER_SECOND * w, `writes in ${w} s: ${peak(puts, w * 1000)}`);
  });
});
