/**
 * Crash consistency of file-provider writes: `secrets set` and `env import` (20 writes in one process)
 * killed with SIGKILL at random moments. After every kill: every secret is readable; its value is its
 * last acknowledged write (the CLI exited 0) or the one write in flight when the kill came (a write may
 * land without being acknowledged: atomicity is owed, not durability of an unacknowledged write); every
 * stored version opens; and the audit log verifies once the next process has sealed it.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { type CliSandbox, run, sandbox } from "../harness/cli.js";
import { Window, chains, killAtRandom } from "./helpers/crash.js";
import { auditOk, withRuntime } from "./helpers/runtime.js";
import { size } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("crash-writes");
const TRIALS = size(16, 80);
const CHAINS = 2;
const TENANT = "crash";
const SET_NAMES = ["db/url", "api/KEY", "S_0", "deep/a/b/c", "x.y-z"];
const ENV_NAMES = Array.from({ length: 20 }, (_, i) => `E_${i}`);

interface Known {
  acked?: string;
  inflight?: string;
}

describe(`crash consistency: file-provider writes (${TRIALS} SIGKILL trials)`, () => {
  it("every secret readable and equal to its last acknowledged write (or the write in flight)", { timeout: size(240_000, 1_200_000) }, async () => {
    await chains(CHAINS, async (c) => {
      const sb = sandbox({ prefix: `writes${c}` });
      expect((await run(sb, ["init"])).code).toBe(0);
      const model = new Map<string, Known>();
      const setWindow = new Window();
      const importWindow = new Window();
      const envFile = join(sb.cwd, "vars.env");
      // Calibration runs are real, acknowledged writes: they start the model.
      await setWindow.calibrate(sb, ["secrets", "set", "db/url", "--tenant", TENANT, "--value-stdin"], { input: "calibration" });
      model.set("db/url", { acked: "calibration" });
      writeFileSync(envFile, ENV_NAMES.map((n) => `${n}=cal-${n}`).join("\n"));
      await importWindow.calibrate(sb, ["env", "import", envFile, "--tenant", TENANT]);
      for (const n of ENV_NAMES) model.set(n, { acked: `cal-${n}` });

      for (let i = c; i < TRIALS; i += CHAINS) {
        const tag = `${i}-${randomBytes(4).toString("hex")}`;
        const written = new Map<string, string>();
        let outcome: Awaited<ReturnType<typeof killAtRandom>>;
        if (i % 2 === 0) {
          const name = SET_NAMES[Math.floor(Math.random() * SET_NAMES.length)] as string;
          written.set(name, `set-${tag}`);
          outcome = await killAtRandom(tally, sb, setWindow, ["secrets", "set", name, "--tenant", TENANT, "--value-stdin"], { input: `set-${tag}` });
        } else {
          for (const n of ENV_NAMES) written.set(n, `imp-${tag}-${n}`);
          writeFileSync(envFile, [...written].map(([k, v]) => `${k}=${v}`).join("\n"));
          outcome = await killAtRandom(tally, sb, importWindow, ["env", "import", envFile, "--tenant", TENANT]);
        }
        for (const [n, v] of written) {
          const k = model.get(n) ?? {};
          model.set(n, outcome.acked ? { acked: v } : { ...k, inflight: v });
        }
        await verify(sb, model, written, outcome.killed);
      }
    });
  });
});

async function verify(sb: CliSandbox, model: Map<string, Known>, written: Map<string, string>, killed: boolean): Promise<void> {
  let landed = 0;
  await withRuntime(sb, async (rt) => {
    const m = rt.manager(TENANT);
    for (const [name, k] of model) {
      let value: string | undefined;
      try {
        const v = await m.get(name);
        value = v.text();
        v.wipe();
      } catch (err) {
        tally.check(err instanceof NotFoundError && k.acked === undefined, `${name} unreadable: ${(err as Error).message}`);
        continue;
      }
      tally.check(value === k.acked || value === k.inflight, `${name} holds neither its acknowledged value nor the one in flight`);
      if (written.get(name) === value) landed++;
      // Every stored version opens (a torn write would leave one that does not).
      for (const ver of await m.versions(name)) {
        const old = await m.get(name, { version: ver.version });
        old.wipe();
        tally.invariants++;
      }
      model.set(name, { acked: value });
    }
  });
  if (killed && written.size > 1 && landed > 0 && landed < written.size) tally.add("kills between two writes of one import");
  if (killed && landed > 0) tally.add("killed writes that had landed");
  const audit = auditOk(sb.home);
  tally.check(audit.ok, `audit verify after the kill: ${audit.problem}`);
}
