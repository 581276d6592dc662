/**
 * Canary tests' fixtures: a SecretManager over the in-memory provider (support.ts), rollout targets that
 * copy the primary's current value into a per-target slot (a logic double of sync's targets; the real
 * ones are exercised in test/e2e/rotation-canary.test.ts), a check script, and one log of pushes and
 * phase events in the order they happened.
 */
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CanaryContext,
  type CanaryPhaseEvent,
  PendingRotations,
  type RolloutTarget,
  RotationPolicies,
  type RotationPolicyConfig,
} from "../../src/index.js";
import { setup, tempDir } from "./support.js";

export const OLD = "CANARY-old-value-9d41";
export const NEW = "CANARY-new-value-17be";

export interface Slot {
  revision: number;
  value: string;
  /** "push": the push throws; "readBack": the read-back says no (each once, then cleared). */
  fail?: "push" | "readBack" | undefined;
  /** Every push throws while set. */
  down?: boolean | undefined;
}

export async function script(body: string): Promise<string> {
  const path = join(await tempDir(), "s.sh");
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o700);
  return path;
}

export async function canaryFleet(canary: Partial<NonNullable<RotationPolicyConfig["canary"]>> & { check: string | string[] }) {
  const s = await setup();
  await s.manager.set("db", OLD);
  const log: string[] = [];
  const slots = new Map<string, Slot>(["east", "west", "north"].map((n) => [n, { revision: 1, value: OLD }]));
  const current = async () => {
    const v = await s.manager.get("db");
    return { revision: v.version, value: v.text() };
  };
  const target = (provider: string): RolloutTarget => {
    const slot = slots.get(provider) as Slot;
    const name = `r:${provider}`;
    return {
      name,
      async push() {
        log.push(`push ${provider}`);
        if (slot.fail === "push" || slot.down) {
          slot.fail = undefined;
          throw new Error(`${provider} is down`);
        }
        // As sync's planner: a copy that already has the value (same digest) is left alone.
        const c = await current();
        if (slot.value !== c.value) Object.assign(slot, c);
      },
      readBack: async () => {
        if (slot.fail === "readBack") {
          slot.fail = undefined;
          return false;
        }
        return slot.revision === (await current()).revision;
      },
      holdsSource: async () => slot.value === (await current()).value,
    };
  };
  const newValue = await script(`printf '${NEW}'`);
  const policies = new RotationPolicies({
    policies: [{ secrets: "db", intervalDays: 30, strategy: "canary", command: newValue, canary: { targets: ["east"], ...canary } }],
  });
  const ctx: CanaryContext = {
    manager: s.manager,
    pending: new PendingRotations(s.dataDir),
    rollout: { targetsFor: async () => ["east", "west", "north"].map(target) },
    onPhase: async (e: CanaryPhaseEvent) => void log.push(`${e.phase}:${e.step === "failed" ? e.code : e.step}`),
  };
  return { ...s, ctx, log, slots, policy: policies.resolve("acme", "db"), policies };
}

/** Each target's [revision, value]. */
export const where = (slots: Map<string, Slot>) => Object.fromEntries([...slots].map(([k, v]) => [k, [v.revision, v.value]]));
