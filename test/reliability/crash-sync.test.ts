/**
 * Crash consistency of `sync apply`: a route from the file provider to a second file store, Vault (when its
 * server is up) and Azure (the project's test Key Vault), with real changes before every apply (writes, and soft deletes the route prunes),
 * killed with SIGKILL at random moments. After every kill, the next `sync apply` exits 0 and then: no
 * journal entry is left 'begun', the plan has nothing left to do, every target equals the source, no
 * target holds more versions of a secret than it had real changes, and the audit log verifies.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type CliSandbox, run, sandbox } from "../harness/cli.js";
import { Window, chains, killAtRandom } from "./helpers/crash.js";
import { auditOk, readAll, withRuntime } from "./helpers/runtime.js";
import { AZURE_URL, VAULT_ADDR, notRun, size } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("crash-sync");
const TRIALS = size(10, 50);
const CHAINS = 2;
const NAMES = 40;
const withVault = !notRun("vault");
const withAzure = !notRun("azure");
const runId = Date.now().toString(36);

const config = (chain: number) => `
providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror-store }
${withVault ? `  vault: { type: vault, address: "${VAULT_ADDR}", token: "\${POLYVAULT_TEST_VAULT_TOKEN}", prefix: "rel${runId}c${chain}", timeoutMs: 5000 }` : ""}
${withAzure ? `  azure: { type: azure, vaultUrl: "${AZURE_URL}", credential: { kind: static, token: crash }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, prefix: "rel${runId}c${chain}", timeoutMs: 5000 }` : ""}
routes:
  m:
    source: local
    targets: [mirror${withVault ? ", vault" : ""}${withAzure ? ", azure" : ""}]
    tenants: [crash]
    prune: true
    # The subject here is crash consistency, not the mass-delete and mass-overwrite guard (docs/sync.md):
    # every trial deletes and rewrites real secrets, and over many trials in one window they add up past
    # its bounds.
    guard: { deleteFloor: 1000, updateFloor: 1000 }
`;

describe(`crash consistency: sync apply (${TRIALS} SIGKILL trials; targets: file${withVault ? ", vault" : `; vault NOT RUN: ${notRun("vault")}`}${withAzure ? ", azure" : `; azure NOT RUN: ${notRun("azure")}`})`, () => {
  it("the next apply converges: no open journal entry, target = source, ≤ one version per real change", { timeout: size(300_000, 1_500_000) }, async () => {
    await chains(CHAINS, async (c) => {
      const sb = sandbox({ prefix: `sync${c}`, config: config(c) });
      expect((await run(sb, ["init"])).code).toBe(0);
      const writes = new Map<string, number>();
      await change(sb, writes, NAMES, -1);
      const first = await run(sb, ["sync", "apply"]);
      expect(first.code, first.stderr).toBe(0);
      const window = new Window();
      await change(sb, writes, 12, 0);
      await window.calibrate(sb, ["sync", "apply"]);

      for (let i = c; i < TRIALS; i += CHAINS) {
        await change(sb, writes, 12, i);
        const planned = await withRuntime(sb, async (rt) => (await (await rt.sync()).plan()).reduce((a, p) => a + p.plan.summary.changes, 0));
        const { killed } = await killAtRandom(tally, sb, window, ["sync", "apply"]);
        const next = await run(sb, ["sync", "apply", "--json"]);
        // With --json the error and the runs' failures (codes and messages, never values) are on stdout.
        tally.check(next.code === 0, `the apply after the kill exits 0 (${next.code}): ${next.stderr}${next.out.slice(0, 1500)}`);
        const counts = (JSON.parse(next.out) as { runs: Array<{ counts?: Record<string, number> }> }).runs.map((r) => r.counts ?? {});
        const sum = (k: string) => counts.reduce((a, x) => a + (x[k] ?? 0), 0);
        tally.check(sum("failed") === 0, `${sum("failed")} actions failed after the kill`);
        const rest = sum("created") + sum("updated") + sum("repaired") + sum("deleted");
        if (killed && rest > 0 && rest < planned) tally.add("kills mid-apply (part of the plan written)");
        if (killed && rest === planned) tally.add("kills before the first write");
        if (killed && rest === 0) tally.add("kills after the last write, before exit");
        await converged(sb, writes);
      }
    });
  });
});

/** Real changes in the source: `count` writes of new values, and on some rounds two soft deletes. */
async function change(sb: CliSandbox, writes: Map<string, number>, count: number, round: number): Promise<void> {
  await withRuntime(sb, async (rt) => {
    const m = rt.manager("crash");
    const live = new Set((await m.list()).map((s) => s.name));
    const picked = new Set<number>();
    while (picked.size < count) picked.add(Math.floor(Math.random() * NAMES));
    for (const k of picked) {
      await m.set(`s/${k}`, `v-${round}-${randomBytes(6).toString("hex")}`);
      writes.set(`s/${k}`, (writes.get(`s/${k}`) ?? 0) + 1);
    }
    if (round > 0 && round % 4 === 0) {
      for (const name of [...live].filter((n) => !picked.has(Number(n.slice(2)))).slice(0, 2)) await m.delete(name);
    }
  });
}

/** The invariants after the apply that followed a kill. */
async function converged(sb: CliSandbox, writes: Map<string, number>): Promise<void> {
  await withRuntime(sb, async (rt) => {
    const state = await rt.state();
    tally.same(await state.pendingJournal(), [], "no journal entry left 'begun' after a successful run");
    tally.add("journal entries a kill left 'begun', closed by the next run", Number((await state.lastRun("m"))?.counts.interrupted ?? 0));
    const plans = await (await rt.sync()).plan();
    tally.check(
      plans.every((p) => p.plan.summary.changes === 0),
      "nothing left to do",
    );
    const source = await readAll(rt, rt.provider("local"), "crash");
    for (const target of ["mirror", ...(withVault ? ["vault"] : []), ...(withAzure ? ["azure"] : [])]) {
      const provider = rt.provider(target);
      tally.same(Object.fromEntries(await readAll(rt, provider, "crash")), Object.fromEntries(source), `${target} equals the source`);
      for (const name of source.keys()) {
        const versions = await provider.versions("crash" as never, name);
        tally.check(versions.length <= (writes.get(name) ?? 0), `${target}: ${name} has ${versions.length} versions for ${writes.get(name)} real changes`);
      }
    }
  });
  const audit = auditOk(sb.home);
  tally.check(audit.ok, `audit verify: ${audit.problem}`);
}
