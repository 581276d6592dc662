import type { Command } from "commander";
import { InvalidInputError, type UnreadableRecord } from "@polyvault/core";
import { keysRetire, keysRewrap, keysRotate, keysStatus, sumOf } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { EXIT } from "../exit-codes.js";

/** One line per record that could not be read (named, never a value). */
const unreadableLines = (list: readonly UnreadableRecord[]): string[] =>
  list.map((u) => `  unreadable: ${u.provider}:${u.tenant}/${u.name}${u.version ? ` version ${u.version}` : ""}: ${u.reason}`);

/** `polyvault keys …`: argument parsing and output; the operations (authorize → audit → run) are the runtime's. */
export function registerKeys(program: Command, run: Runner): void {
  const keys = program.command("keys").description("the versioned keyring: status, rotation, rewrap, retirement");

  keys
    .command("status")
    .description("each key version, its state, and how many stored secret versions (primary, mirrors, route stores) it still protects")
    .action(
      run(async (ctx) => {
        const status = await keysStatus(await ctx.runtime(), ctx.ops());
        // Records that cannot be read are counted apart and named: status still answers (issue 15.8).
        ctx.out.result(status, () => [
          ...table(
            ["VERSION", "STATE", "CREATED", "PROTECTS", ""],
            status.versions.map((v) => [v.version, v.state, v.createdAt.toISOString(), v.protects, v.current ? "current" : ""]),
          ),
          ...(status.unreadable.length
            ? [`${status.unreadable.length} stored record(s) could not be read (not counted above):`, ...unreadableLines(status.unreadable)]
            : []),
          ...(status.rotation
            ? [
                `scheduled rotation: every ${status.rotation.every}; next due ${status.rotation.nextDue.toISOString()} (run by \`serve\` or \`polyvault jobs run --watch\`)`,
              ]
            : []),
        ]);
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
        const { keyVersion, tenants: results, unreadable } = await keysRewrap(await ctx.runtime(), { ...ctx.ops(), tenant: opts.tenant });
        const sum = (k: Parameters<typeof sumOf>[1]) => sumOf(results, k);
        const count = (k: "tenant" | "provider") => new Set(results.map((r) => r[k])).size;
        ctx.out.result({ keyVersion, tenants: results, unreadable }, () => [
          `rewrapped ${sum("versionsRewrapped")} version(s) of ${sum("secrets")} secret(s) in ${count("tenant")} tenant(s) and ${count("provider")} store(s) to key version ${keyVersion}; ${sum("versionsAlreadyCurrent")} already current`,
          ...(sum("versionsLeftImmutable")
            ? [`${sum("versionsLeftImmutable")} old version(s) stay under older keys in providers whose versions are immutable`]
            : []),
          ...(unreadable.length ? [`${unreadable.length} record(s) could not be read and were left as they are:`, ...unreadableLines(unreadable)] : []),
        ]);
        // Everything readable was rewrapped; what could not be read is an integrity failure (exit 6).
        return unreadable.length ? EXIT.INTEGRITY : EXIT.OK;
      }),
    );

  keys
    .command("retire <version>")
    .description("retire a key version no copy anywhere still needs (its key material is destroyed)")
    .action(
      run(async (ctx, raw: string) => {
        const version = Number(raw);
        if (!Number.isInteger(version) || version < 1) throw new InvalidInputError(`key version must be a positive whole number (got ${JSON.stringify(raw)})`);
        const r = await keysRetire(await ctx.runtime(), version, ctx.ops());
        ctx.out.result(r, () => [
          `key version ${r.retired} retired`,
          ...(r.shredded ? [`${r.shredded} superseded or mirror-history version(s) sealed under it are now unreadable for good`] : []),
        ]);
        return EXIT.OK;
      }),
    );
}
