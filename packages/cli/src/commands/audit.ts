import { randomUUID } from "node:crypto";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  AUDIT_FILES,
  AuditLog,
  SEGMENTS_DIR,
  FileWitness,
  InvalidInputError,
  LOCAL_OPERATOR,
  Security,
  exportRecords,
  parseSince,
  verifyAuditLog,
} from "@polyvault/core";
import { loadConfig, resolveConfigPath, resolveDataDir } from "@polyvault/runtime";
import type { Context } from "../context.js";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";
import { exportIncrementalCommand, publicKeyCommand, verifyFileCommand } from "./audit-files.js";

/**
 * The audit commands read the log and its keys only: they need neither the master key nor the providers,
 * so they build the data directory's Security themselves instead of opening the runtime.
 */
type AuditConfig = ReturnType<typeof loadConfig>["config"]["audit"];

async function withSecurity(
  ctx: Context,
  body: (security: Security, principal: string, dataDir: string, audit: AuditConfig) => Promise<number>,
): Promise<number> {
  const env = ctx.io.env;
  const dataDir = resolveDataDir(ctx.globals.dataDir, env);
  const { config } = loadConfig(resolveConfigPath(ctx.globals.config, env), env);
  const security = new Security({ dataDir, env, access: config.access, alerts: config.alerts, audit: config.audit });
  try {
    const principal = await security.authenticate(env.POLYVAULT_TOKEN, env.POLYVAULT_ACTOR ?? LOCAL_OPERATOR);
    return await body(security, principal, dataDir, config.audit);
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
    .option("--witness <file>", "compare with this witness file (default: audit.witness.file from the configuration)")
    .option("--file <export>", "check an export file of `audit export --incremental` on its own instead of the log")
    .option("--public-key <pem>", "with --file: the audit public key it must be signed with (default: the data directory's)")
    .action(
      run(async (ctx, opts: { allowUnsignedTail?: boolean; witness?: string; file?: string; publicKey?: string }) => {
        if (opts.file !== undefined) return verifyFileCommand(ctx, { file: opts.file, publicKey: opts.publicKey });
        if (opts.publicKey !== undefined) throw new InvalidInputError("--public-key goes with --file");
        return withSecurity(ctx, async (security, principal, dataDir, auditConfig) => {
          await security.authorize(principal, "*", "audit.verify");
          const file = opts.witness ?? auditConfig?.witness?.file;
          const witness = file === undefined ? undefined : new FileWitness(file);
          const result = verifyAuditLog(dataDir, { allowUnsignedTail: opts.allowUnsignedTail, witness });
          // Recorded after the check, so it never affects the answer; a log that cannot take the record
          // refuses a passing verify (fail closed) but never hides a failing one.
          await security.record({ actor: principal, action: "audit.verify", outcome: result.ok ? "ok" : "INTEGRITY" }).catch((err: unknown) => {
            if (result.ok) throw err;
          });
          if (result.ok) {
            ctx.out.result({ ...result, witness: witness?.path ?? null }, () => [
              `audit log ${security.audit.logPath}: intact${witness ? ` (and not rolled back: checked against ${witness.description})` : ""}`,
              `  ${result.records} record(s), ${result.checkpoints} signed checkpoint(s)${result.pruned ? `, ${result.pruned} older entries pruned behind a signed anchor` : ""}${result.unsignedTail ? `, ${result.unsignedTail} entr(ies) not yet sealed` : ""}`,
              ...(result.segments ?? []).map(
                (g) =>
                  `  segment ${g.segment} (serve's worker chain, named by the main chain): ${g.records} record(s), ${g.checkpoints} signed checkpoint(s)${g.pruned ? `, ${g.pruned} pruned` : ""}${g.unsignedTail ? `, ${g.unsignedTail} entr(ies) not yet sealed` : ""}`,
              ),
              ...(witness
                ? []
                : ['  no witness configured: a rollback to an earlier checkpoint cannot be told from an intact log (docs/audit.md, "Witnesses")']),
            ]);
            return EXIT.OK;
          }
          const message = `audit log ${security.audit.logPath}: ${result.problem}`;
          if (ctx.out.json) ctx.out.record({ ...result, error: { code: "INTEGRITY", message } });
          else ctx.io.stderr.write(`polyvault: INTEGRITY: ${message}\n`);
          return EXIT.INTEGRITY;
        });
      }),
    );

  audit
    .command("public-key")
    .description("print the audit public key (PEM), to pin with `audit verify --file F --public-key` elsewhere")
    .action(run(async (ctx) => publicKeyCommand(ctx)));

  audit
    .command("new-chain")
    .description(
      "start a new audit chain after an investigation: the old log, head and worker segments are kept aside; audited as the new chain's first record",
    )
    .requiredOption("--reason <text>", "why (recorded in the new chain's first record)")
    .action(
      run(async (ctx, opts: { reason: string }) =>
        withSecurity(ctx, async (security, principal, dataDir, auditConfig) => {
          await security.authorize(principal, "*", "audit.verify");
          if (opts.reason.trim().length === 0 || opts.reason.length > 400) throw new InvalidInputError("--reason must be 1–400 characters");
          await security.close(); // its log must not write beside the new chain
          const stamp = new Date().toISOString().replace(/[:.]/g, "-");
          const kept: string[] = [];
          // The segments of `serve --workers N` are part of the old log: kept aside with it.
          for (const f of [AUDIT_FILES.log, AUDIT_FILES.head, SEGMENTS_DIR]) {
            const from = join(dataDir, f);
            if (!existsSync(from)) continue;
            renameSync(from, `${from}.replaced-${stamp}`);
            kept.push(`${f}.replaced-${stamp}`);
          }
          const reason = `${opts.reason}${kept.length ? ` (previous files kept as ${kept.join(", ")})` : ""}`;
          const log = new AuditLog(dataDir, { ...auditConfig, allowNewChain: { actor: principal, reason } });
          try {
            await log.checkpoint();
          } finally {
            await log.close();
          }
          ctx.out.result({ dataDir, kept, reason }, () => [`new audit chain started in ${dataDir}`, ...kept.map((k) => `  kept: ${k}`)]);
          return EXIT.OK;
        }),
      ),
    );

  audit
    .command("export")
    .description("print the audit records (never a value): NDJSON, or one JSON array; only tenants you may audit")
    .option("--format <format>", "ndjson (the default, also with --json: a stream) or json (one array)")
    .option("--since <time>", "only records at or after this time: ISO 8601 (2025-01-31, 2025-01-31T12:00:00Z) or a duration back from now (90m, 24h, 7d, 2w)")
    .option("--incremental", "write the entries since the last incremental export to a new file in --dir that verifies on its own")
    .option("--dir <dir>", "with --incremental: where the export files and their cursor go (default: audit.export.dir)")
    .action(
      run(async (ctx, opts: { format?: string; since?: string; incremental?: boolean; dir?: string }) => {
        if (opts.incremental) return exportIncrementalCommand(ctx, opts);
        if (opts.dir !== undefined) throw new InvalidInputError("--dir goes with --incremental");
        const format = opts.format ?? "ndjson";
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
