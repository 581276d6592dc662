import type { Command } from "commander";
import { InvalidInputError } from "@polyvault/core";
import { keysRetire, keysRewrap, keysRotate, keysStatus, sumOf } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** `polyvault keys …`: argument parsing and output; the operations (authorize → audit → run) are the runtime's. */
export function registerKeys(program: Command, run: Runner): void {
  const keys = program.command("keys").description("the versioned keyring: status, rotation, rewrap, retirement");

  keys
    .command("status")
    .description("each key version, its state, and how many stored secret versions it still protects")
    .action(
      run(async (ctx) => {
        const { current, versions } = await keysStatus(await ctx.runtime(), ctx.ops());
        ctx.out.result({ current, versions }, () =>
          table(
            ["VERSION", "STATE", "CREATED", "PROTECTS", ""],
            versions.map((v) => [v.version, v.state, v.createdAt.toISOString(), v.protects, v.current ? "current" : ""]),
          ),
        );
        return EXIT.OK;
      }),
    );

  keys
    .command("rotate")
    .description("add a key version; new writes use it (run `keys rewrap` to move existing secrets)")
    .action(
      run(async (ctx) => {
        const { current: version } = await keysRotate(await ctx.runtime(), ctx.ops());
        ctx.out.result(
          { current: version },
          () => `key version ${version} added and now current; run \`polyvault keys rewrap\` to re-encrypt existing secrets`,
        );
        return EXIT.OK;
      }),
    );

  keys
    .command("rewrap")
    .description("re-encrypt every stored secret under the current key version (resumable: run again after an interruption)")
    .option("--tenant <tenant>", "only this tenant")
    .action(
      run(async (ctx, opts: { tenant?: string }) => {
        const { keyVersion, tenants: results } = await keysRewrap(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant });
        const sum = (k: Parameters<typeof sumOf>[1]) => sumOf(results, k);
        ctx.out.result({ keyVersion, tenants: results }, () => [
          `rewrapped ${sum("versionsRewrapped")} version(s) of ${sum("secrets")} secret(s) in ${results.length} tenant(s) to key version ${keyVersion}; ${sum("versionsAlreadyCurrent")} already current`,
          ...(sum("versionsLeftImmutable")
            ? [`${sum("versionsLeftImmutable")} old version(s) stay under older keys in providers whose versions are immutable`]
            : []),
        ]);
        return EXIT.OK;
      }),
    );

  keys
    .command("retire <version>")
    .description("retire a key version that protects no secret (its key material is destroyed)")
    .action(
      run(async (ctx, raw: string) => {
        const version = Number(raw);
        if (!Number.isInteger(version) || version < 1) throw new InvalidInputError(`key version must be a positive whole number (got ${JSON.stringify(raw)})`);
        const { retired } = await keysRetire(await ctx.runtime(), version, ctx.ops());
        ctx.out.result({ retired }, () => `key version ${retired} retired`);
        return EXIT.OK;
      }),
    );
}
