/**
 * `adopt` as an operation (permission `write` on the tenant): take over secrets that exist in a provider
 * but were not written by Polyvault. It reads their values in bulk, so it is recorded before it reads
 * (write-ahead) and after, with how many it looked at and adopted. Without `confirm` it only compares
 * (name, size, how it compares with what Polyvault holds); with it each one is rewritten in place as a
 * Polyvault secret (encrypted, marked managed) and, when that provider is not the tenant's primary, also
 * stored in the primary.
 *
 * Someone who can write a mirror can strip a copy's metadata and give it a value: adopting that over a
 * managed primary secret would let the mirror decide the primary's value (issue 16.5). So a name whose
 * managed primary value differs is refused unless `replacePrimary` is given, and then a warning names it.
 */
import { InvalidInputError, NotFoundError, SecretManager, listAll } from "@polyvault/core";
import type { Runtime } from "../runtime.js";
import { callerOf } from "./caller.js";
import { type OperationOptions, detailOf, runOperation } from "./operation.js";

export interface AdoptRow {
  name: string;
  bytes: number;
  /** How the unmanaged value compares with the managed value in the tenant's primary. */
  polyvault: "absent" | "same" | "differs";
  action: "adopt" | "adopted" | "refused";
  reason?: string | undefined;
}

export interface AdoptOptions extends OperationOptions {
  readonly provider: string;
  readonly tenant: string;
  /** Only these (default: every unmanaged secret of the tenant in that provider). */
  readonly names?: readonly string[] | undefined;
  readonly confirm?: boolean | undefined;
  /** Allow replacing a managed primary secret with a value found unmanaged in another provider. */
  readonly replacePrimary?: boolean | undefined;
}

export async function adoptSecrets(rt: Runtime, options: AdoptOptions): Promise<{ tenant: string; rows: AdoptRow[]; warnings: string[] }> {
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
      const steps = { steps: rt.options.steps, actor: rt.options.actor };
      const inPlace = new SecretManager({ tenant, keyring: rt.keyring, primary: provider, ...steps });
      const fromOther = manager.primary.name !== provider.name;
      // The primary alone, no failover to mirrors: what the primary holds is what is compared (and replaced).
      const primary = new SecretManager({ tenant, keyring: rt.keyring, primary: manager.primary, ...steps });
      const rows: AdoptRow[] = [];
      const warnings: string[] = [];
      for (const name of wanted) {
        const raw = await provider.get(tenant, name);
        try {
          let polyvault: AdoptRow["polyvault"] = "absent";
          if (fromOther) {
            try {
              const current = await primary.get(name);
              polyvault = current.bytes().equals(raw.value) ? "same" : "differs";
              current.wipe();
            } catch (err) {
              if (!(err instanceof NotFoundError)) throw err;
            }
          }
          const row: AdoptRow = { name, bytes: raw.value.length, polyvault, action: "adopt" };
          rows.push(row);
          if (polyvault === "differs" && !options.replacePrimary) {
            row.action = "refused";
            row.reason = `${manager.primary.name} (the primary) holds a managed value of ${name} that differs; adopting from ${provider.name} would replace it — rerun with --replace-primary only if ${provider.name}'s value is the right one`;
            continue;
          }
          if (!options.confirm) continue;
          if (polyvault === "differs")
            warnings.push(
              `replacing the managed value of ${name} in ${manager.primary.name} (the primary of ${tenant}) with the value found unmanaged in ${provider.name} (--replace-primary)`,
            );
          await inPlace.set(name, raw.value, { adopt: true });
          if (fromOther && polyvault !== "same") await manager.set(name, raw.value);
          row.action = "adopted";
        } finally {
          raw.value.fill(0);
        }
      }
      return { tenant, rows, warnings };
    },
    (r) => ({
      detail: detailOf({
        provider: options.provider,
        confirm: Boolean(options.confirm),
        secrets: r.rows.length,
        adopted: r.rows.filter((x) => x.action === "adopted").length,
        refused: r.rows.filter((x) => x.action === "refused").length || undefined,
        replacedPrimary: r.warnings.length || undefined,
      }),
    }),
  );
}
