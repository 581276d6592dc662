/**
 * `polyvault adopt`: take over secrets that exist in a provider but were not written by Polyvault.
 * Without --confirm it only shows the diff (name, size, how it compares with what Polyvault holds);
 * with --confirm each one is rewritten in place as a Polyvault secret (encrypted, marked managed) and,
 * when that provider is not the tenant's primary, also stored in the primary.
 */
import type { Command } from "commander";
import { InvalidInputError, NotFoundError, SecretManager, listAll } from "@polyvault/core";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

interface AdoptRow {
  name: string;
  bytes: number;
  polyvault: "absent" | "same" | "differs";
  action: "adopt" | "adopted";
}

export function registerAdopt(program: Command, run: Runner): void {
  program
    .command("adopt [names...]")
    .description("take over existing secrets Polyvault does not manage (shows the diff; --confirm to adopt)")
    .requiredOption("--provider <provider>", "the provider that holds them")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--confirm", "adopt them (rewrites each as an encrypted, managed Polyvault secret)")
    .action(
      run(async (ctx, names: string[], opts: { provider: string; tenant: string; confirm?: boolean }) => {
        const rt = await ctx.runtime();
        const manager = rt.manager(opts.tenant);
        const provider = rt.provider(opts.provider);
        const tenant = manager.tenant;
        await ctx.authorize(tenant, "write");
        const unmanaged: string[] = [];
        for await (const h of listAll(provider, tenant)) if (!h.managed) unmanaged.push(h.name);
        const wanted = names.length ? names : unmanaged;
        const missing = wanted.filter((n) => !unmanaged.includes(n));
        if (missing.length) throw new InvalidInputError(`not unmanaged secrets of tenant ${tenant} in ${opts.provider}: ${missing.join(", ")}`);
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
          if (opts.confirm) {
            await inPlace.set(name, raw.value, { adopt: true });
            if (manager.primary.name !== provider.name && polyvault !== "same") await manager.set(name, raw.value);
            row.action = "adopted";
          }
          raw.value.fill(0);
          rows.push(row);
        }
        ctx.out.result({ tenant, provider: opts.provider, confirmed: Boolean(opts.confirm), secrets: rows }, () => [
          ...(rows.length
            ? table(
                ["NAME", "BYTES", "IN POLYVAULT", "ACTION"],
                rows.map((r) => [r.name, r.bytes, r.polyvault, r.action]),
              )
            : [`no unmanaged secrets of tenant ${tenant} in ${opts.provider}`]),
          ...(opts.confirm || !rows.length ? [] : ["nothing changed; rerun with --confirm to adopt these"]),
        ]);
        return EXIT.OK;
      }),
    );
}
