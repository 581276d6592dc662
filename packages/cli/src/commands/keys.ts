import type { Command } from "commander";
import { InvalidInputError, type UnreadableRecord } from "@polyvault/core";
import { keyStatus, retireKey, rewrapAll } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { progressBar } from "../progress.js";

/** One line per record that could not be read (named, never a value). */
const unreadableLines = (list: readonly UnreadableRecord[]): string[] =>
  list.map((u) => `  unreadable: ${u.provider}:${u.tenant}/${u.name}${u.version ? ` version ${u.version}` : ""}: ${u.reason}`);

export function registerKeys(program: Command, run: Runner): void {
  const keys = program.command("keys").description("the versioned keyring: status, rotation, rewrap, retirement");

  keys
    .command("status")
    .description("each key version, its state, and how many stored secret versions (primary, mirrors, route stores) it still protects")
    .action(
      run(async (ctx) => {
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        const status = await keyStatus(rt);
        ctx.out.result(status, () => [
          ...table(
            ["VERSION", "STATE", "CREATED", "PROTECTS", ""],
            status.versions.map((v) => [v.version, v.state, v.createdAt.toISOString(), v.protects, v.current ? "current" : ""]),
          ),
          ...(status.unreadable.length
            ? [`${status.unreadable.length} stored record(s) could not be read (not counted above):`, ...unreadableLines(status.unreadable)]
            : []),
        ]);
        return 0;
      }),
    );
  keys
    .command("rotate")
    .description("add a key version; new writes use it (run `keys rewrap` to move existing secrets)")
    .action(
      run(async (ctx) => {
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        const version = await rt.keyring.rotate();
        ctx.out.result(
          { current: version },
          () => `key version ${version} added and now current; run \`polyvault keys rewrap\` to re-encrypt existing secrets`,
        );
        return 0;
      }),
    );

  keys
    .command("rewrap")
    .description("re-encrypt every stored secret under the current key version (resumable: run again after an interruption)")
    .option("--tenant <tenant>", "only this tenant")
    .action(
      run(async (ctx, opts: { tenant?: string }) => {
        const rt = await ctx.runtime();
        await ctx.authorize(opts.tenant ?? "*", "rewrap");
        const tenant = opts.tenant ? rt.manager(opts.tenant).tenant : undefined;
        // One bar per store, one store at a time.
        let bar: { id: string; bar: ReturnType<typeof progressBar> } | undefined;
        let result: Awaited<ReturnType<typeof rewrapAll>>;
        try {
          result = await rewrapAll(rt, {
            tenant,
            onProgress: (ks, p) => {
              const id = `rewrap ${ks.tenant} in ${ks.store.provider.name}`;
              if (bar?.id !== id) {
                bar?.bar.stop();
                bar = { id, bar: progressBar(ctx, id) };
              }
              bar.bar.update(p.secretsDone, p.secretsTotal);
            },
          });
        } finally {
          bar?.bar.stop();
        }
        const results = result.tenants;
        const sum = (k: "versionsRewrapped" | "versionsAlreadyCurrent" | "versionsLeftImmutable" | "secrets") => results.reduce((a, r) => a + r[k], 0);
        const stores = new Set(results.map((r) => r.provider)).size;
        ctx.out.result(result, () => [
          `rewrapped ${sum("versionsRewrapped")} version(s) of ${sum("secrets")} secret(s) in ${new Set(results.map((r) => r.tenant)).size} tenant(s) and ${stores} store(s) to key version ${result.keyVersion}; ${sum("versionsAlreadyCurrent")} already current`,
          ...(sum("versionsLeftImmutable")
            ? [`${sum("versionsLeftImmutable")} old version(s) stay under older keys in providers whose versions are immutable`]
            : []),
          ...(result.unreadable.length
            ? [`${result.unreadable.length} record(s) could not be read and were left as they are:`, ...unreadableLines(result.unreadable)]
            : []),
        ]);
        // Everything readable was rewrapped; what could not be read is an integrity failure (exit 6).
        return result.unreadable.length ? 6 : 0;
      }),
    );

  keys
    .command("retire <version>")
    .description("retire a key version that protects no secret (its key material is destroyed)")
    .action(
      run(async (ctx, raw: string) => {
        const version = Number(raw);
        if (!Number.isInteger(version) || version < 1) throw new InvalidInputError(`key version must be a positive whole number (got ${JSON.stringify(raw)})`);
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        // Refused while any copy anywhere (primary, mirror, route store) still needs it.
        const r = await retireKey(rt, version);
        ctx.out.result(r, () => [
          `key version ${version} retired`,
          ...(r.shredded ? [`${r.shredded} superseded or mirror-history version(s) sealed under it are now unreadable for good`] : []),
        ]);
        return 0;
      }),
    );
}
