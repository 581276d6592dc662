/**
 * `adopt` as an operation (permission `write` on the tenant): take over secrets that exist in a provider
 * but were not written by Polyvault. It reads their values in bulk, so it is recorded before it reads
 * (write-ahead) and after, with how many it looked at and adopted. Without `confirm` it only compares
 * (name, size, how it compares with what Polyvault holds); with it each one is rewritten in place as a
 * Polyvault secret (encrypted, marked managed) and, when that provider is not the tenant's primary, also
 * stored in the primary.
 */
import { InvalidInputError, NotFoundError, SecretManager, listAll } from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation } from "./operation.js";

export interface AdoptRow {
  name: string;
  bytes: number;
  polyvault: "absent" | "same" | "differs";
  action: "adopt" | "adopted";
}

export interface AdoptOptions extends OperationOptions {
  readonly provider: string;
  readonly tenant: string;
  /** Only these (default: every unmanaged secret of the tenant in that provider). */
  readonly names?: readonly string[] | undefined;
  readonly confirm?: boolean | undefined;
}

export async function adoptSecrets(rt: Runtime, options: AdoptOptions): Promise<{ tenant: string; rows: AdoptRow[] }> {
  const manager = rt.manager(options.tenant);
  const provider = rt.provider(options.provider);
  const tenant = manager.tenant;
  return runOperation(
    options.caller ?? callerOf(rt),
    { action: "adopt", permission: "write", tenant, changes: Boolean(options.confirm) },
    async () => {
      const unmanaged: string[] = [];
      for await (const h of listAll(provider, tenant)) if (!h.managed) unmanaged.push(h.name);
      const wanted = options.names?.length ? [...options.names] : unmanaged;
      const missing = wanted.filter((n) => !unmanaged.includes(n));
      if (missing.length) throw new InvalidInputError(`not unmanaged secrets of tenant ${tenant} in ${options.provider}: ${missing.join(", ")}`);
      const inPlace = new SecretManager({ tenant, keyring: rt.keyring, primary: provider, steps: rt.options.steps, actor: rt.options.actor });
      const rows: AdoptRow[] = [];
      for (const name of wanted) {
        const raw = await provider.get(tenant, name);
        let polyvault: AdoptRow["polyvault"] = "absent";
        if (manager.primary.name !== provider.name) {
          try {
            const current = await manager.get(name);
            polyvault = current.bytes().equals(raw.value) ? "same" : "differs";
            current.wipe();
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
        }
        const row: AdoptRow = { name, bytes: raw.value.length, polyvault, action: "adopt" };
        if (options.confirm) {
          await inPlace.set(name, raw.value, { adopt: true });
          if (manager.primary.name !== provider.name && polyvault !== "same") await manager.set(name, raw.value);
          row.action = "adopted";
        }
        raw.value.fill(0);
        rows.push(row);
      }
      return { tenant, rows };
    },
    (r) => ({
      detail: detailOf({
        provider: options.provider,
        confirm: Boolean(options.confirm),
        secrets: r.rows.length,
        adopted: r.rows.filter((x) => x.action === "adopted").length,
      }),
    }),
  );
}
