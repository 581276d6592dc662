import type { Command } from "commander";
import { NotFoundError } from "@polyvault/core";
import { readAnswer } from "@polyvault/runtime";
import { parseLabels, parseLength, readValue } from "../input.js";
import type { Runner } from "../main.js";
import { table, writeAll } from "../output.js";
import { EXIT } from "../exit-codes.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Labels as `--label` takes them: `k=v,k2=v2` (empty when none). */
const labelList = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

export function registerSecrets(program: Command, run: Runner): void {
  const secrets = program.command("secrets").description("read and write one tenant's secrets");

  secrets
    .command("set <name>")
    .description("store a new version of a secret (value from stdin, a file, or generated)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--value-stdin", "read the value's raw bytes from stdin")
    .option("--value-file <file>", "read the value's raw bytes from a file")
    .option("--generate", "generate a crypto-random value")
    .option("--length <n>", "length of a generated value (default 32)")
    .option("--alphabet <set>", "alphanumeric (default), hex, base64url, ascii, or the characters to use")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .action(
      run(
        async (
          ctx,
          name: string,
          opts: { tenant: string; valueStdin?: boolean; valueFile?: string; generate?: boolean; length?: string; alphabet?: string; label?: string[] },
        ) => {
          const labels = parseLabels(opts.label);
          const manager = (await ctx.runtime()).manager(opts.tenant);
          const value = (await readValue(opts, ctx.io.stdin)) as Buffer;
          try {
            const { version, unchanged } = await manager.set(name, value, { labels });
            ctx.out.result({ tenant: opts.tenant, name, version, unchanged, bytes: value.length, generated: Boolean(opts.generate) }, () =>
              unchanged
                ? `${opts.tenant}/${name}: unchanged (version ${version} already holds this value and these labels)`
                : `${opts.tenant}/${name}: version ${version} stored (${value.length} bytes)`,
            );
          } finally {
            value.fill(0);
          }
          return EXIT.OK;
        },
      ),
    );

  secrets
    .command("get <name>")
    .description("print a secret's value (raw bytes on stdout; --json adds metadata)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--version <n>", "a specific version (revision number)")
    .action(
      run(async (ctx, name: string, opts: { tenant: string; version?: string }) => {
        const rt = await ctx.runtime();
        const manager = rt.manager(opts.tenant);
        const value = await manager.get(name, { version: opts.version === undefined ? undefined : parseLength(opts.version, "--version") });
        try {
          if (ctx.out.json) {
            ctx.out.record(await readAnswer(rt, value));
          } else {
            // Wait until the bytes are handed to the OS before the finally wipes the Buffer (a pipe queues them).
            await writeAll(ctx.io.stdout, value.bytes());
            if (value.stale) ctx.io.stderr.write(`polyvault: note: served by mirror ${value.servedBy} (primary unavailable)\n`);
          }
        } finally {
          value.wipe();
        }
        return EXIT.OK;
      }),
    );

  secrets
    .command("list")
    .description("list a tenant's secrets (names and metadata, never values)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, opts: { tenant: string }) => {
        const items = await (await ctx.runtime()).manager(opts.tenant).list();
        ctx.out.result({ tenant: opts.tenant, secrets: items }, () =>
          items.length === 0
            ? `no secrets in tenant ${opts.tenant}`
            : table(
                ["NAME", "VERSION", "UPDATED", "KEY", "MANAGED", "LABELS"],
                items.map((s) => [s.name, s.version, s.updatedAt?.toISOString(), s.keyVersion, s.managed ? "yes" : "no", labelList(s.labels)]),
              ),
        );
        return EXIT.OK;
      }),
    );

  secrets
    .command("versions <name>")
    .description("list a secret's versions")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, name: string, opts: { tenant: string }) => {
        const versions = await (await ctx.runtime()).manager(opts.tenant).versions(name);
        ctx.out.result({ tenant: opts.tenant, name, versions }, () =>
          table(
            ["VERSION", "CREATED", "KEY", "CURRENT"],
            versions.map((v) => [v.version, v.createdAt?.toISOString(), v.keyVersion, v.current ? "yes" : ""]),
          ),
        );
        return EXIT.OK;
      }),
    );

  secrets
    .command("delete <name>")
    .description("delete a secret (soft delete; --purge removes every version now)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--purge", "remove every version, unrecoverably")
    .action(
      run(async (ctx, name: string, opts: { tenant: string; purge?: boolean }) => {
        await (await ctx.runtime()).manager(opts.tenant).delete(name, { purge: Boolean(opts.purge) });
        ctx.out.result(
          { tenant: opts.tenant, name, deleted: true, purged: Boolean(opts.purge) },
          () => `${opts.tenant}/${name}: ${opts.purge ? "purged" : "deleted"}`,
        );
        return EXIT.OK;
      }),
    );

  secrets
    .command("rotate <name>")
    .description("give an existing secret a new value (from stdin, or generated by default)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--value-stdin", "read the new value from stdin")
    .option("--generate", "generate the new value (the default)")
    .option("--length <n>", "length of a generated value (default 32)")
    .option("--alphabet <set>", "alphabet of a generated value")
    .action(
      run(async (ctx, name: string, opts: { tenant: string; valueStdin?: boolean; generate?: boolean; length?: string; alphabet?: string }) => {
        const manager = (await ctx.runtime()).manager(opts.tenant);
        const given = opts.valueStdin ? await readValue(opts, ctx.io.stdin) : undefined;
        try {
          const { version } = await manager.rotate(name, { value: given, generate: { length: parseLength(opts.length), alphabet: opts.alphabet } });
          ctx.out.result({ tenant: opts.tenant, name, version, rotated: true }, () => `${opts.tenant}/${name}: rotated to version ${version}`);
        } catch (err) {
          if (err instanceof NotFoundError) throw new NotFoundError(`${err.message} (rotate needs an existing secret; use secrets set to create it)`);
          throw err;
        } finally {
          given?.fill(0);
        }
        return EXIT.OK;
      }),
    );
}
