import type { Command } from "commander";
import { CheckFailedError, InvalidInputError, type RewrapResult, keyUsage, rewrapTenant } from "@polyvault/core";
import type { Runtime } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { table } from "../output.js";
import { progressBar } from "../progress.js";
import { EXIT } from "../exit-codes.js";

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

export function registerKeys(program: Command, run: Runner): void {
  const keys = program.command("keys").description("the versioned keyring: status, rotation, rewrap, retirement");

  keys
    .command("status")
    .description("each key version, its state, and how many stored secret versions it still protects")
    .action(
      run(async (ctx) => {
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        const counts = await usage(rt);
        const versions = rt.keyring.versions().map((v) => ({ ...v, current: v.version === rt.keyring.current, protects: counts.get(v.version) ?? 0 }));
        ctx.out.result({ current: rt.keyring.current, versions }, () =>
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
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        const version = await rt.keyring.rotate();
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
        const rt = await ctx.runtime();
        await ctx.authorize(opts.tenant ?? "*", "rewrap");
        const tenants = opts.tenant ? [rt.manager(opts.tenant).tenant] : await rt.tenants();
        const results: RewrapResult[] = [];
        for (const tenant of tenants) {
          const bar = progressBar(ctx, `rewrap ${tenant}`);
          try {
            results.push(
              await rewrapTenant({
                tenant,
                keyring: rt.keyring,
                provider: rt.placement(tenant).primary,
                onProgress: (p) => bar.update(p.secretsDone, p.secretsTotal),
              }),
            );
          } finally {
            bar.stop();
          }
        }
        const sum = (k: "versionsRewrapped" | "versionsAlreadyCurrent" | "versionsLeftImmutable" | "secrets") => results.reduce((a, r) => a + r[k], 0);
        ctx.out.result({ keyVersion: rt.keyring.current, tenants: results }, () => [
          `rewrapped ${sum("versionsRewrapped")} version(s) of ${sum("secrets")} secret(s) in ${results.length} tenant(s) to key version ${rt.keyring.current}; ${sum("versionsAlreadyCurrent")} already current`,
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
        const rt = await ctx.runtime();
        await ctx.authorize("*", "keys");
        const left = (await usage(rt)).get(version) ?? 0;
        if (left > 0) throw new CheckFailedError(`key version ${version} still protects ${left} stored secret version(s); run \`polyvault keys rewrap\` first`);
        await rt.keyring.retire(version);
        ctx.out.result({ retired: version }, () => `key version ${version} retired`);
        return EXIT.OK;
      }),
    );
}
