/**
 * Key management as operations (permission `keys`, `rewrap` for rewrap; docs/security-model.md): status
 * reads every tenant's heads; rotate adds a key version; rewrap re-encrypts stored secrets; retire
 * destroys a version's key material (irreversible). Each is authorized and audited before it acts.
 */
import { CheckFailedError, InvalidInputError, type KeyVersionInfo, type RewrapResult, keyUsage, rewrapTenant } from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation, withProgress } from "./operation.js";

/** Versions protected by each key version, over every tenant of every provider. */
async function usage(rt: Runtime): Promise<Map<number, number>> {
  const total = new Map<number, number>();
  for (const tenant of await rt.tenants()) {
    for (const p of new Set([rt.placement(tenant).primary])) {
      for (const [kv, n] of await keyUsage(tenant, p)) total.set(kv, (total.get(kv) ?? 0) + n);
    }
  }
  return total;
}

export interface KeysStatus {
  readonly current: number;
  readonly versions: Array<KeyVersionInfo & { current: boolean; protects: number }>;
}

export function keysStatus(rt: Runtime, options: OperationOptions = {}): Promise<KeysStatus> {
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.status", permission: "keys", changes: false },
    async () => {
      const counts = await usage(rt);
      const versions = rt.keyring.versions().map((v) => ({ ...v, current: v.version === rt.keyring.current, protects: counts.get(v.version) ?? 0 }));
      return { current: rt.keyring.current, versions };
    },
    (s) => ({ detail: detailOf({ current: s.current, versions: s.versions.length }) }),
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
}

export interface RewrapReport {
  readonly keyVersion: number;
  readonly tenants: RewrapResult[];
}

export function keysRewrap(rt: Runtime, options: RewrapOptions = {}): Promise<RewrapReport> {
  const only = options.tenant === undefined ? undefined : rt.manager(options.tenant).tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.rewrap", permission: "rewrap", tenant: only, changes: true },
    async () => {
      const tenants = only ? [only] : await rt.tenants();
      const results: RewrapResult[] = [];
      for (const tenant of tenants) {
        results.push(
          await withProgress(options, `rewrap ${tenant}`, (bar) =>
            rewrapTenant({
              tenant,
              keyring: rt.keyring,
              provider: rt.placement(tenant).primary,
              onProgress: (p) => bar.update(p.secretsDone, p.secretsTotal),
            }),
          ),
        );
      }
      return { keyVersion: rt.keyring.current, tenants: results };
    },
    (r) => ({
      detail: detailOf({
        keyVersion: r.keyVersion,
        tenants: r.tenants.length,
        secrets: sumOf(r.tenants, "secrets"),
        rewrapped: sumOf(r.tenants, "versionsRewrapped"),
        alreadyCurrent: sumOf(r.tenants, "versionsAlreadyCurrent"),
        leftImmutable: sumOf(r.tenants, "versionsLeftImmutable"),
      }),
    }),
  );
}

export function sumOf(results: readonly RewrapResult[], k: "versionsRewrapped" | "versionsAlreadyCurrent" | "versionsLeftImmutable" | "secrets"): number {
  return results.reduce((a, r) => a + r[k], 0);
}

/** Retires a key version that protects no stored secret version (CheckFailedError otherwise). */
export async function keysRetire(rt: Runtime, version: number, options: OperationOptions = {}): Promise<{ retired: number }> {
  if (!Number.isInteger(version) || version < 1) throw new InvalidInputError(`key version must be a positive whole number (got ${JSON.stringify(version)})`);
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "keys.retire", permission: "keys", changes: true },
    async () => {
      const left = (await usage(rt)).get(version) ?? 0;
      if (left > 0) throw new CheckFailedError(`key version ${version} still protects ${left} stored secret version(s); run \`polyvault keys rewrap\` first`);
      await rt.keyring.retire(version);
      return { retired: version };
    },
    (r) => ({ detail: detailOf({ version: r.retired }) }),
  );
}
