/**
 * Crash consistency of `keys rewrap` (after a `keys rotate`) and of `backup restore`, each killed with
 * SIGKILL at random moments. Rewrap: every secret keeps opening to its value at every moment, each under
 * exactly one key version, and a rerun leaves everything under the current version. Restore: every
 * secret holds its value from before the restore or one of the bundle's versions of it (restore writes a
 * secret's versions in order), and a rerun leaves exactly the bundle's values. The audit log verifies.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Provider, NotFoundError, keyUsage, parseTenantId } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { type CliSandbox, run, sandbox } from "../harness/cli.js";
import { Window, chains, killAtRandom } from "./helpers/crash.js";
import { auditOk, readAll, withRuntime } from "./helpers/runtime.js";
import { size } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("crash-keys-backup");
const REWRAP_TRIALS = size(8, 40);
const RESTORE_TRIALS = size(6, 40);
const CHAINS = 2;
const SECRETS = 80;

async function populate(sb: CliSandbox, tenant: string, count: number, versions: number): Promise<Map<string, string[]>> {
  const history = new Map<string, string[]>();
  await withRuntime(sb, async (rt) => {
    const m = rt.manager(tenant);
    for (let v = 0; v < versions; v++) {
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          if (v > 0 && i % versions < v) return; // some secrets get more versions than others
          const value = `${tenant}-${i}-v${v}-${randomBytes(4).toString("hex")}`;
          await m.set(`k/${i}`, value);
          history.set(`k/${i}`, [...(history.get(`k/${i}`) ?? []), value]);
        }),
      );
    }
  });
  return history;
}

const current = (history: Map<string, string[]>) => Object.fromEntries([...history].map(([k, v]) => [k, v.at(-1)]));

function checkAudit(sb: CliSandbox): void {
  const audit = auditOk(sb.home);
  tally.check(audit.ok, `audit verify: ${audit.problem}`);
}

describe(`crash consistency: key rewrap (${REWRAP_TRIALS} trials) and backup restore (${RESTORE_TRIALS} trials)`, () => {
  it("keys rewrap killed at random: nothing unreadable, nothing lost; a rerun finishes the job", { timeout: size(300_000, 1_500_000) }, async () => {
    await chains(CHAINS, async (c) => {
      const sb = sandbox({ prefix: `rewrap${c}` });
      expect((await run(sb, ["init"])).code).toBe(0);
      const expected = current(await populate(sb, "rw", SECRETS, 1));
      const window = new Window();
      expect((await run(sb, ["keys", "rotate"])).code).toBe(0);
      await window.calibrate(sb, ["keys", "rewrap"]);
      for (let i = c; i < REWRAP_TRIALS; i += CHAINS) {
        expect((await run(sb, ["keys", "rotate"])).code).toBe(0);
        const { killed } = await killAtRandom(tally, sb, window, ["keys", "rewrap"]);
        await withRuntime(sb, async (rt) => {
          const local = rt.provider("local");
          tally.same(Object.fromEntries(await readAll(rt, local, "rw")), expected, "every secret opens to its value after the kill");
          const usage = await keyUsage(parseTenantId("rw"), local);
          tally.check([...usage.values()].reduce((a, n) => a + n, 0) === SECRETS, "each secret is under exactly one key version");
          if (killed && usage.size > 1) tally.add("kills mid-rewrap (secrets under two key versions)");
        });
        const rerun = await run(sb, ["keys", "rewrap"]);
        tally.check(rerun.code === 0, `the rerun exits 0: ${rerun.stderr}`);
        await withRuntime(sb, async (rt) => {
          const usage = await keyUsage(parseTenantId("rw"), rt.provider("local"));
          tally.same([...usage], [[rt.keyring.current, SECRETS]], "after the rerun, everything is under the current key version");
          tally.same(Object.fromEntries(await readAll(rt, rt.provider("local"), "rw")), expected, "and still opens to its value");
        });
        checkAudit(sb);
      }
    });
  });

  it("backup restore killed at random: each secret is as before or a bundle version; a rerun restores the bundle", {
    timeout: size(300_000, 1_500_000),
  }, async () => {
    await chains(CHAINS, async (c) => {
      const sb = sandbox({ prefix: `restore${c}` });
      expect((await run(sb, ["init"])).code).toBe(0);
      const history = await populate(sb, "rst", 30, 3);
      const bundle = join(sb.cwd, "rst.pvbackup");
      const created = await run(sb, ["backup", "create", "--tenant", "rst", "--out", bundle]);
      expect(created.code, created.stderr).toBe(0);
      const restore = ["backup", "restore", bundle, "--tenant", "rst"];
      const window = new Window();
      await mutate(sb, 0);
      await window.calibrate(sb, restore);

      for (let i = c; i < RESTORE_TRIALS; i += CHAINS) {
        const before = await mutate(sb, i + 1);
        const { killed } = await killAtRandom(tally, sb, window, restore);
        let partial = 0;
        await withRuntime(sb, async (rt) => {
          const now = await readAll(rt, rt.provider("local"), "rst");
          for (const [name, values] of history) {
            const v = now.get(name);
            // A restore never deletes: an absent secret was absent before it.
            const allowed = v === undefined ? before.get(name) === undefined : v === before.get(name) || values.includes(v);
            tally.check(allowed, `${name}: neither its value before the restore nor a version from the bundle`);
            if (v !== before.get(name)) partial++;
          }
          tally.check(
            [...now.keys()].every((n) => history.has(n)),
            "no secret appeared from nowhere",
          );
        });
        if (killed && partial > 0 && partial < history.size) tally.add("kills mid-restore (some secrets restored, some not)");
        const rerun = await run(sb, restore);
        tally.check(rerun.code === 0, `the rerun exits 0: ${rerun.stderr}`);
        await withRuntime(sb, async (rt) => {
          tally.same(
            Object.fromEntries(await readAll(rt, rt.provider("local"), "rst")),
            current(history),
            "after the rerun every secret holds the bundle's value",
          );
        });
        checkAudit(sb);
      }
    });
  });
});

/** Changes after the backup: overwrites, soft deletes and purges. Returns each secret's value now. */
async function mutate(sb: CliSandbox, round: number): Promise<Map<string, string>> {
  return withRuntime(sb, async (rt) => {
    const m = rt.manager("rst");
    const names = Array.from({ length: 30 }, (_, i) => `k/${i}`).sort(() => Math.random() - 0.5);
    for (const n of names.slice(0, 10)) await m.set(n, `changed-${round}-${randomBytes(4).toString("hex")}`);
    for (const n of names.slice(10, 13)) await m.delete(n).catch(ignoreNotFound);
    for (const n of names.slice(13, 15)) await m.delete(n, { purge: true }).catch(ignoreNotFound);
    return readAll(rt, rt.provider("local") as Provider, "rst");
  });
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
