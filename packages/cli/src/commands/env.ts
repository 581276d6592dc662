import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parseEnvFile } from "@polyvault/runtime";
import { InvalidInputError, NotFoundError, parseSecretName } from "@polyvault/core";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";

async function readDotenv(file: string, what: string): Promise<Record<string, string>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new InvalidInputError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  try {
    return parseEnvFile(buf, file);
  } finally {
    buf.fill(0);
  }
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value in dotenv syntax: bare when safe, else double-quoted with \n, \r, \" and \\ escaped. */
function quote(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
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
        const stored: Array<{ name: string; version: number }> = [];
        for (const [key, value] of Object.entries(vars)) stored.push({ name: key, ...(await manager.set(key, value)) });
        ctx.out.result({ tenant: opts.tenant, imported: stored }, () => `imported ${stored.length} variable(s) into tenant ${opts.tenant}`);
        return EXIT.OK;
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
        return pass ? EXIT.OK : EXIT.CHECK_FAILED;
      }),
    );

  env
    .command("export")
    .description("print the tenant's secrets as a .env file (only names that are valid variable names)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, opts: { tenant: string }) => {
        const manager = (await ctx.runtime()).manager(opts.tenant);
        const vars: Record<string, string> = {};
        const skipped: string[] = [];
        for (const s of await manager.list()) {
          if (!ENV_KEY.test(s.name)) {
            skipped.push(s.name);
            continue;
          }
          try {
            const v = await manager.get(s.name);
            vars[s.name] = v.text();
            v.wipe();
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
        }
        if (skipped.length) ctx.out.note(`polyvault: note: skipped ${skipped.length} secret(s) whose names are not variable names: ${skipped.join(", ")}`);
        ctx.out.result({ tenant: opts.tenant, variables: vars, skipped }, () => Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`));
        return EXIT.OK;
      }),
    );
}
