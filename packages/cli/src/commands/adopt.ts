/**
 * `polyvault adopt`: take over secrets that exist in a provider but were not written by Polyvault.
 * Without --confirm it only shows the diff (name, size, how it compares with what Polyvault holds);
 * with --confirm each one is rewritten in place as a Polyvault secret (encrypted, marked managed) and,
 * when that provider is not the tenant's primary, also stored in the primary.
 */
import type { Command } from "commander";
import { adoptSecrets } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

export function registerAdopt(program: Command, run: Runner): void {
  program
    .command("adopt [names...]")
    .description("take over existing secrets Polyvault does not manage (shows the diff; --confirm to adopt)")
    .requiredOption("--provider <provider>", "the provider that holds them")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--confirm", "adopt them (rewrites each as an encrypted, managed Polyvault secret)")
    .action(
      run(async (ctx, names: string[], opts: { provider: string; tenant: string; confirm?: boolean }) => {
        const { tenant, rows } = await adoptSecrets(await ctx.runtime(), {
          ...ctx.ops(),
          provider: opts.provider,
          tenant: opts.tenant,
          names,
          confirm: opts.confirm,
        });
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
