import type { Command } from "commander";
import { ENV_FORMATS, ENV_KEY, type EnvFormat, exportText, formatNames, parseEnvFile } from "@polyvault/runtime";
import { INPUT_LIMITS, InvalidInputError, NotFoundError, parseSecretName } from "@polyvault/core";
import { readInputFile } from "../input.js";
import type { Runner } from "../main.js";

async function readDotenv(file: string, what: string): Promise<Record<string, string>> {
  const buf = await readInputFile(file, INPUT_LIMITS.dotenv, what);
  try {
    return parseEnvFile(buf, file);
  } finally {
    buf.fill(0);
  }
}

export function registerEnv(program: Command, run: Runner): void {
  const env = program.command("env").description(".env files: import, check against a template, export");

  env
    .command("import <file>")
    .description("store every variable of a .env file as a secret of the tenant")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, file: string, opts: { tenant: string }) => {
        const manager = (await ctx.runtime()).manager(opts.tenant);
        const vars = await readDotenv(file, ".env file");
        // Validate every name before writing anything.
        for (const key of Object.keys(vars)) parseSecretName(key);
        // A variable whose secret already holds this value is a no-op (no new version): `unchanged`.
        const stored: Array<{ name: string; version: number; unchanged: boolean }> = [];
        for (const [key, value] of Object.entries(vars)) stored.push({ name: key, ...(await manager.set(key, value)) });
        const same = stored.filter((s) => s.unchanged).length;
        ctx.out.result(
          { tenant: opts.tenant, imported: stored },
          () => `imported ${stored.length} variable(s) into tenant ${opts.tenant}: ${stored.length - same} stored, ${same} unchanged`,
        );
        return 0;
      }),
    );

  env
    .command("check")
    .description("compare the tenant's secrets with a template such as .env.example: missing and extra keys")
    .requiredOption("--tenant <tenant>", "tenant id")
    .requiredOption("--template <file>", "the template (.env.example)")
    .action(
      run(async (ctx, opts: { tenant: string; template: string }) => {
        const wanted = Object.keys(await readDotenv(opts.template, "template"));
        const have = new Set((await (await ctx.runtime()).manager(opts.tenant).list()).map((s) => s.name));
        const missing = wanted.filter((k) => !have.has(k));
        const extra = [...have].filter((k) => !wanted.includes(k) && ENV_KEY.test(k)).sort();
        const pass = missing.length === 0;
        ctx.out.result({ tenant: opts.tenant, template: opts.template, pass, missing, extra }, () => [
          pass ? `tenant ${opts.tenant} has every key of ${opts.template}` : `tenant ${opts.tenant} is missing ${missing.length} key(s) of ${opts.template}:`,
          ...missing.map((k) => `  missing: ${k}`),
          ...extra.map((k) => `  extra:   ${k}`),
        ]);
        return pass ? 0 : 1;
      }),
    );

  env
    .command("export")
    .description("print the tenant's secrets for a program to read: dotenv (default), json, yaml, or shell (to source)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--format <format>", `${ENV_FORMATS.join(", ")}: each read back exactly by its usual parser (docs/cli.md)`, "dotenv")
    .action(
      run(async (ctx, opts: { tenant: string; format: string }) => {
        if (!(ENV_FORMATS as readonly string[]).includes(opts.format))
          throw new InvalidInputError(`--format must be one of ${ENV_FORMATS.join(", ")} (got ${JSON.stringify(opts.format.slice(0, 40))})`);
        const format = opts.format as EnvFormat;
        const manager = (await ctx.runtime()).manager(opts.tenant);
        const values = new Map<string, Buffer>();
        const skipped: string[] = [];
        try {
          for (const s of await manager.list()) {
            if (!formatNames(format, s.name)) {
              skipped.push(s.name);
              continue;
            }
            try {
              const v = await manager.get(s.name);
              values.set(s.name, Buffer.from(v.bytes()));
              v.wipe();
            } catch (err) {
              if (!(err instanceof NotFoundError)) throw err;
            }
          }
          if (skipped.length) ctx.out.note(`polyvault: note: skipped ${skipped.length} secret(s) whose names are not variable names: ${skipped.join(", ")}`);
          const text = exportText(opts.tenant, values, format);
          ctx.out.result({ tenant: opts.tenant, variables: Object.fromEntries([...values].map(([k, v]) => [k, v.toString("utf8")])), skipped }, () =>
            text.replace(/\n$/, ""),
          );
        } finally {
          for (const v of values.values()) v.fill(0);
        }
        return 0;
      }),
    );
}
