/**
 * `polyvault adopt`: take over secrets that exist in a provider but were not written by Polyvault. The
 * diff first (name, size, how it compares with what the tenant's primary holds); with confirm, each is
 * rewritten in place as an encrypted, managed secret and, when that provider is not the primary, also
 * stored in the primary.
 *
 * Someone who can write a mirror can strip a copy's metadata and give it a value: adopting that over a
 * managed primary secret would let the mirror decide the primary's value. So a name whose managed
 * primary value differs is refused unless `replacePrimary` is given, and then a warning names it.
 */
import { InvalidInputError, NotFoundError, SecretManager, listAll } from "@polyvault/core";
import type { Runtime } from "./runtime.js";

export interface AdoptRow {
  name: string;
  bytes: number;
  /** How the unmanaged value compares with the managed value in the tenant's primary. */
  polyvault: "absent" | "same" | "differs";
  action: "adopt" | "adopted" | "refused";
  reason?: string | undefined;
}

export interface AdoptInput {
  readonly provider: string;
  readonly tenant: string;
  readonly names: readonly string[];
  readonly confirm: boolean;
  /** Allow replacing a managed primary secret with a value found unmanaged in another provider. */
  readonly replacePrimary: boolean;
}

export async function adoptSecrets(rt: Runtime, input: AdoptInput): Promise<{ tenant: string; rows: AdoptRow[]; warnings: string[] }> {
  const manager = rt.manager(input.tenant);
  const provider = rt.provider(input.provider);
  const tenant = manager.tenant;
  const unmanaged: string[] = [];
  for await (const h of listAll(provider, tenant)) if (!h.managed) unmanaged.push(h.name);
  const wanted = input.names.length ? [...input.names] : unmanaged;
  const missing = wanted.filter((n) => !unmanaged.includes(n));
  if (missing.length) throw new InvalidInputError(`not unmanaged secrets of tenant ${tenant} in ${input.provider}: ${missing.join(", ")}`);
  const steps = { steps: rt.options.steps, actor: rt.options.actor };
  const inPlace = new SecretManager({ tenant, keyring: rt.keyring, primary: provider, ...steps });
  const fromOther = manager.primary.name !== provider.name;
  // The primary alone, no failover: what the primary holds is what is compared (and replaced).
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
      if (polyvault === "differs" && !input.replacePrimary) {
        row.action = "refused";
        row.reason = `${manager.primary.name} (the primary) holds a managed value of ${name} that differs; adopting from ${provider.name} would replace it — rerun with --replace-primary only if ${provider.name}'s value is the right one`;
        continue;
      }
      if (!input.confirm) continue;
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
}
