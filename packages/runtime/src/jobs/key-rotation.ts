/**
 * `keys.rotate` (configuration `keys: { rotateEvery: 90d }`): once the current key version is
 * `rotateEvery` old, add a key version (keys.rotate), then re-encrypt every envelope store under it
 * (keys.rewrap) at `rewrapPerSecond` provider calls a second, so that old versions drain to nothing.
 * It looks every `rotateEvery` (at most every hour) and decides from the keyring itself, so a manual
 * `keys rotate` in between moves the next rotation too. A run that failed or was stopped is resumed by
 * the next run (rewrap is idempotent). Several gateways sharing the data directory's keyring and one
 * state store rotate once per period: the runner's lease, then the keyring re-read under it.
 */
import { IntegrityError } from "@polyvault/core";
import { keysRewrap, keysRotate, sumOf } from "../operations/keys.js";
import { nextKeyRotation, parseDuration } from "./schedule.js";
import type { JobFactory } from "./types.js";

export const DEFAULT_REWRAP_PER_SECOND = 20;
const HOUR_MS = 3_600_000;

export const keyRotationJob: JobFactory = (config) => {
  const keys = config.keys;
  if (!keys) return undefined;
  const everyMs = parseDuration(keys.rotateEvery, "keys.rotateEvery");
  const perSecond = keys.rewrapPerSecond ?? DEFAULT_REWRAP_PER_SECOND;
  return {
    name: "keys.rotate",
    schedule: everyMs <= HOUR_MS ? `every ${keys.rotateEvery}` : "every 1h",
    permission: "keys",
    description: `add a key version once the current one is ${keys.rotateEvery} old, then rewrap every store (${perSecond} provider calls/s)`,
    async run(ctx) {
      const rt = ctx.runtime;
      await rt.keyring.reload(); // another gateway may have rotated
      const due = nextKeyRotation(rt.keyring, everyMs);
      const now = new Date(); // to the millisecond: a key version is never younger than rotateEvery when replaced
      const resume = ctx.lastRun !== undefined && !ctx.lastRun.ok;
      if (due > now && !resume)
        return {
          status: "nothing-due",
          message: `key version ${rt.keyring.current} is current; next rotation due ${due.toISOString()}`,
          counts: { keyVersion: rt.keyring.current },
        };
      let rotated = 0;
      if (due <= now) {
        const r = await keysRotate(rt, { caller: ctx.caller });
        rotated = 1;
        ctx.log(`key version ${r.current} added (was ${r.previous}); rewrapping every store`);
      } else ctx.log(`resuming the rewrap to key version ${rt.keyring.current} (the last run did not finish)`);
      const report = await keysRewrap(rt, { caller: ctx.caller, perSecond, signal: ctx.signal, progress: ctx.progress });
      const counts = {
        rotated,
        keyVersion: report.keyVersion,
        rewrapped: sumOf(report.tenants, "versionsRewrapped"),
        alreadyCurrent: sumOf(report.tenants, "versionsAlreadyCurrent"),
        unreadable: report.unreadable.length,
      };
      if (report.unreadable.length)
        throw new IntegrityError(
          `key version ${report.keyVersion}: ${counts.rewrapped} version(s) rewrapped, but ${report.unreadable.length} stored record(s) could not be read and keep an older key (see \`polyvault keys status\`)`,
        );
      return {
        status: "done",
        message: `${rotated ? `rotated to key version ${report.keyVersion}` : `key version ${report.keyVersion}`}; ${counts.rewrapped} stored version(s) rewrapped, ${counts.alreadyCurrent} already current`,
        counts,
      };
    },
  };
};
