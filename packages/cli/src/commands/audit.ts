import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { InvalidInputError, LOCAL_OPERATOR, Security, exportRecords, parseSince, verifyAuditLog } from "@polyvault/core";
import { loadConfig, resolveConfigPath, resolveDataDir } from "@polyvault/runtime";
import type { Context } from "../context.js";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";

/**
 * The audit commands read the log and its keys only: they need neither the master key nor the providers,
 * so they build the data directory's Security themselves instead of opening the runtime.
 */
async function withSecurity(ctx: Context, body: (security: Security, principal: string, dataDir: string) => Promise<number>): Promise<number> {
  const env = ctx.io.env;
  const dataDir = resolveDataDir(ctx.globals.dataDir, env);
  const { config } = loadConfig(resolveConfigPath(ctx.globals.config, env), env);
  const security = new Security({ dataDir, env, access: config.access, alerts: config.alerts, audit: config.audit });
  try {
    const principal = await security.authenticate(env.POLYVAULT_TOKEN, env.POLYVAULT_ACTOR ?? LOCAL_OPERATOR);
    return await body(security, principal, dataDir);
  } finally {
    await security.close();
  }
}

export function registerAudit(program: Command, run: Runner): void {
  const audit = program.command("audit").description("the signed audit log: verify its chain and signatures, export its records");

  audit
    .command("verify")
    .description("check every record's MAC and hash link and every checkpoint's signature; exit 6 naming the first bad record")
    .option("--allow-unsigned-tail", "accept records after the last checkpoint (a running writer has not sealed them yet)")
    .action(
      run(async (ctx, opts: { allowUnsignedTail?: boolean }) =>
        withSecurity(ctx, async (security, principal, dataDir) => {
          await security.authorize(principal, "*", "audit.verify");
          const result = verifyAuditLog(dataDir, { allowUnsignedTail: opts.allowUnsignedTail });
          // Recorded after the check, so it never affects the answer; a log that cannot take the record
          // refuses a passing verify (fail closed) but never hides a failing one.
          await security.record({ actor: principal, action: "audit.verify", outcome: result.ok ? "ok" : "INTEGRITY" }).catch((err: unknown) => {
            if (result.ok) throw err;
          });
          if (result.ok) {
            ctx.out.result(result, () => [
              `audit log ${security.audit.logPath}: intact`,
              `  ${result.records} record(s), ${result.checkpoints} signed checkpoint(s)${result.pruned ? `, ${result.pruned} older entries pruned behind a signed anchor` : ""}${result.unsignedTail ? `, ${result.unsignedTail} entr(ies) not yet sealed` : ""}`,
            ]);
            return EXIT.OK;
          }
          const message = `audit log ${security.audit.logPath}: ${result.problem}`;
          if (ctx.out.json) ctx.io.stdout.write(`${JSON.stringify({ ...result, error: { code: "INTEGRITY", message } }, null, 2)}\n`);
          else ctx.io.stderr.write(`polyvault: INTEGRITY: ${message}\n`);
          return EXIT.INTEGRITY;
        }),
      ),
    );

  audit
    .command("export")
    .description("print the audit records (never a value): NDJSON, or one JSON array; only tenants you may audit")
    .option("--format <format>", "json or ndjson (default: json with --json, else ndjson)")
    .option("--since <time>", "only records at or after this time: ISO 8601 (2025-01-31, 2025-01-31T12:00:00Z) or a duration back from now (90m, 24h, 7d, 2w)")
    .action(
      run(async (ctx, opts: { format?: string; since?: string }) => {
        const format = opts.format ?? (ctx.out.json ? "json" : "ndjson");
        if (format !== "json" && format !== "ndjson") throw new InvalidInputError(`--format must be json or ndjson (got ${JSON.stringify(opts.format)})`);
        const since = opts.since === undefined ? undefined : parseSince(opts.since);
        return withSecurity(ctx, async (security, principal, dataDir) => {
          const scope = security.scope(principal, "audit.export");
          // Authorize where the grant is (this also refuses a locked-out principal, audited); nowhere: denied.
          await security.authorize(principal, scope.all || scope.tenants.size === 0 ? "*" : ([...scope.tenants][0] as string), "audit.export");
          const requestId = randomUUID();
          const base = { actor: principal, action: "audit.export", requestId, reason: since ? `since ${since.toISOString()}` : undefined };
          await security.record({ ...base, outcome: "started" });
          const out = ctx.io.stdout;
          // Waits for a slow reader (backpressure); a reader that went away (`| head`) just ends the output.
          let gone = false;
          out.on("error", (err: NodeJS.ErrnoException) => {
            if (err.code === "EPIPE") gone = true;
          });
          const write = (text: string): Promise<void> | undefined => (gone || out.write(text) ? undefined : new Promise((r) => out.once("drain", r)));
          let n = 0;
          if (format === "json") await write("[");
          await exportRecords(dataDir, { since, filter: scope.all ? undefined : (r) => r.tenant !== undefined && scope.tenants.has(r.tenant) }, async (r) => {
            await write(format === "json" ? `${n ? "," : ""}\n  ${JSON.stringify(r)}` : `${JSON.stringify(r)}\n`);
            n++;
          });
          if (format === "json") await write(n ? "\n]\n" : "]\n");
          await security.record({ ...base, outcome: "ok" });
          ctx.out.note(`${n} record(s) exported`);
          return EXIT.OK;
        });
      }),
    );
}
