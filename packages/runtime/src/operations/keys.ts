/**
 * Key management as operations (permission `keys`, `rewrap` for rewrap; docs/security-model.md): status
 * opens every stored version in every envelope store; rotate adds a key version; rewrap re-encrypts
 * every envelope store (primary, mirrors, route stores); retire destroys a version's key material
 * (irreversible) once no copy anywhere needs it. Each is authorized and audited before it acts. What
 * counts and where is in ../keys.ts (issues 15.5, 15.8).
 */
import { InvalidInputError, type RewrapResult, type UnreadableRecord, rewrapTenant } from "@polyvault/core";
import { paced } from "../jobs/paced.js";
import { nextKeyRotation, parseDuration } from "../jobs/schedule.js";
import { type KeyStatus, countKeyUse, keyedStores, retireIfUnused } from "../keys.js";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";

export interface KeysStatus extends KeyStatus {
  /** With `keys.rotateEvery` configured: the period and when the current version is due (docs/scheduled-jobs.md). */
  readonly rotation?: { readonly every: string; readonly nextDue: Date } | undefined;
}

export function keysStatus(rt: Runtime, options: OperationOptions = {}): Promise<KeysStatus> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.status", permission: "keys", changes: false },
    async () => {
      await rt.keyring.reload(); // a scheduled rotation elsewhere shows at once
      const status = await countKeyUse(rt);
      const every = rt.config.keys?.rotateEvery;
      if (every === undefined) return status;
      return { ...status, rotation: { every, nextDue: nextKeyRotation(rt.keyring, parseDuration(every, "keys.rotateEvery")) } };
    },
    (s) => ({ detail: detailOf({ current: s.current, versions: s.versions.length, unreadable: s.unreadable.length }) }),
  );
}

export function keysRotate(rt: Runtime, options: OperationOptions = {}): Promise<{ current: number; previous: number }> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.rotate", permission: "keys", changes: true },
    async () => {
      const previous = rt.keyring.current;
      return { current: await rt.keyring.rotate(), previous };
    },
    (r) => ({ detail: detailOf({ from: r.previous, to: r.current }) }),
  );
}

export interface RewrapOptions extends OperationOptions {
  /** Only this tenant (default: every tenant). */
  readonly tenant?: string | undefined;
  /** At most this many provider calls a second per store (the scheduled rewrap's budget; default none). */
  readonly perSecond?: number | undefined;
  /** Stops the rewrap between provider calls (it resumes when run again). */
  readonly signal?: AbortSignal | undefined;
}

export interface RewrapReport {
  readonly keyVersion: number;
  /** One result per (tenant, envelope store). */
  readonly tenants: RewrapResult[];
  /** Records left as they are because they could not be read (the CLI exits 6 when there are any). */
  readonly unreadable: UnreadableRecord[];
}

export function keysRewrap(rt: Runtime, options: RewrapOptions = {}): Promise<RewrapReport> {
  const only = options.tenant === undefined ? undefined : rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.rewrap", permission: "rewrap", tenant: only, changes: true },
    async () => {
      const results: RewrapResult[] = [];
      for (const { tenant, store } of await keyedStores(rt, only)) {
        const provider = options.perSecond || options.signal ? paced(store.provider, options.perSecond, options.signal) : store.provider;
        results.push(
          await withProgress(options, `rewrap ${tenant} in ${store.provider.name}`, (bar) =>
            rewrapTenant({
              tenant,
              keyring: rt.keyring,
              provider,
              onProgress: (p) => bar.update(p.secretsDone, p.secretsTotal),
              // A re-sealed copy in a sync target is a new version that Polyvault itself wrote: the
              // records that named the old version now name the new one (signed like every record).
              onNewVersion: async (name, oldVersion, newVersion) => {
                const state = await rt.state();
                for (const r of await state.recordsOf(store.provider.name, tenant, name))
                  if (r.targetVersion === oldVersion) await state.upsert({ ...r, targetVersion: newVersion, mac: undefined });
              },
            }),
          ),
        );
      }
      return { keyVersion: rt.keyring.current, tenants: results, unreadable: results.flatMap((r) => r.unreadable) };
    },
    (r) => ({
      detail: detailOf({
        keyVersion: r.keyVersion,
        tenants: new Set(r.tenants.map((t) => t.tenant)).size,
        stores: r.tenants.length,
        secrets: sumOf(r.tenants, "secrets"),
        rewrapped: sumOf(r.tenants, "versionsRewrapped"),
        alreadyCurrent: sumOf(r.tenants, "versionsAlreadyCurrent"),
        leftImmutable: sumOf(r.tenants, "versionsLeftImmutable"),
        unreadable: r.unreadable.length,
      }),
    }),
  );
}

export function sumOf(results: readonly RewrapResult[], k: "versionsRewrapped" | "versionsAlreadyCurrent" | "versionsLeftImmutable" | "secrets"): number {
  return results.reduce((a, r) => a + r[k], 0);
}

/** Retires a key version that no copy anywhere still needs (CheckFailedError otherwise, naming where). */
export async function keysRetire(rt: Runtime, version: number, options: OperationOptions = {}): Promise<{ retired: number; shredded: number }> {
  if (!Number.isInteger(version) || version < 1) throw new InvalidInputError(`key version must be a positive whole number (got ${JSON.stringify(version)})`);
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.retire", permission: "keys", changes: true },
    () => retireIfUnused(rt, version),
    (r) => ({ detail: detailOf({ version: r.retired, shredded: r.shredded }) }),
  );
}
