/**
 * `polyvault adopt`: take over secrets that exist in a provider but were not written by Polyvault.
 * Without --confirm it only shows the diff (name, size, how it compares with what Polyvault holds);
 * with --confirm each one is rewritten in place as a Polyvault secret (encrypted, marked managed) and,
 * when that provider is not the tenant's primary, also stored in the primary. A name whose managed value
 * in the primary differs is refused (exit 1) unless --replace-primary (runtime's operations/adopt.ts).
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
    .option("--replace-primary", "also when the tenant's primary holds a different managed value: replace it with the adopted one")
    .action(
      run(async (ctx, names: string[], opts: { provider: string; tenant: string; confirm?: boolean; replacePrimary?: boolean }) => {
        const { tenant, rows, warnings } = await adoptSecrets(await ctx.runtime(), {
          ...ctx.ops(),
          provider: opts.provider,
          tenant: opts.tenant,
          names,
          confirm: opts.confirm,
          replacePrimary: opts.replacePrimary,
        });
        // Warnings and refusals go to stderr even with --json (where the rows also say "refused" and why).
        for (const w of warnings) ctx.io.stderr.write(`polyvault: warning: ${w}\n`);
        ctx.out.result({ tenant, provider: opts.provider, confirmed: Boolean(opts.confirm), secrets: rows }, () => [
          ...(rows.length
            ? table(
                ["NAME", "BYTES", "IN POLYVAULT", "ACTION"],
                rows.map((r) => [r.name, r.bytes, r.polyvault, r.action]),
              )
            : [`no unmanaged secrets of tenant ${tenant} in ${opts.provider}`]),
          ...(opts.confirm || !rows.length ? [] : ["nothing changed; rerun with --confirm to adopt these"]),
        ]);
        const refused = rows.filter((r) => r.action === "refused");
        for (const r of refused) ctx.io.stderr.write(`polyvault: CHECK_FAILED: ${r.name} not adopted: ${r.reason}\n`);
        return refused.length && opts.confirm ? EXIT.CHECK_FAILED : EXIT.OK;
      }),
    );
}
