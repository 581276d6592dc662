/**
 * The incremental audit export (docs/audit.md, "Scheduled export"): `audit export --incremental` (one run
 * of the scheduled job), `audit verify --file F` (an export file on its own) and `audit public-key` (the
 * key to pin when verifying elsewhere).
 */
import { createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { InvalidInputError, NotFoundError, loadSigningKey, verifyExportFile } from "@polyvault/core";
import { loadConfig, openCaller, resolveConfigPath, resolveDataDir, runAuditExport } from "@polyvault/runtime";
import type { Context } from "../context.js";
import { EXIT } from "../exit-codes.js";

export async function exportIncrementalCommand(
  ctx: Context,
  opts: { dir?: string | undefined; format?: string | undefined; since?: string | undefined },
): Promise<number> {
  const env = ctx.io.env;
  if (opts.since !== undefined) throw new InvalidInputError("--since cannot be used with --incremental: each run exports what follows the last one");
  const dataDir = resolveDataDir(ctx.globals.dataDir, env);
  const loaded = loadConfig(resolveConfigPath(ctx.globals.config, env), env);
  const configured = loaded.config.audit?.export;
  const format = opts.format ?? configured?.format ?? "ndjson";
  if (format !== "json" && format !== "ndjson") throw new InvalidInputError(`--format must be json or ndjson (got ${JSON.stringify(opts.format)})`);
  // --dir as given (relative to the working directory); else audit.export.dir, relative to the configuration file.
  const dir =
    opts.dir !== undefined
      ? resolve(opts.dir)
      : configured && (isAbsolute(configured.dir) ? configured.dir : resolve(loaded.path ? dirname(loaded.path) : dataDir, configured.dir));
  if (dir === undefined) throw new InvalidInputError("--incremental needs --dir DIR (or audit.export.dir in the configuration)");
  const caller = await openCaller({ dataDir, config: loaded.config, env });
  try {
    const r = await runAuditExport(caller, { dir, format });
    ctx.out.result({ dir, ...r }, () => [
      ...(r.adopted ? [`kept ${r.adopted}: written by a run that stopped before recording it`] : []),
      ...r.rejected.map((n) => `moved aside ${n} (did not verify, or did not continue the last export): ${n}.rejected-…`),
      r.file
        ? `exported entries ${r.file.first}–${r.file.last} (${r.file.records} record(s)) to ${resolve(dir, r.file.name)}`
        : `nothing signed since the last export (record ${r.cursor})`,
      ...(r.segments ?? []).map((g) =>
        g.file
          ? `segment ${g.segment}: exported entries ${g.file.first}–${g.file.last} (${g.file.records} record(s)) to ${resolve(dir, "segments", g.segment, g.file.name)}`
          : `segment ${g.segment}: nothing signed since the last export (record ${g.cursor})`,
      ),
    ]);
    return EXIT.OK;
  } finally {
    await caller.close();
  }
}

/** --public-key: a PEM public key (`polyvault audit public-key` prints it). */
function readPublicKey(path: string) {
  try {
    return createPublicKey(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`--public-key ${path} is not a PEM public key (${(err as Error).message})`);
  }
}

export function verifyFileCommand(ctx: Context, opts: { file: string; publicKey?: string | undefined }): number {
  if (!existsSync(opts.file)) throw new NotFoundError(`export file ${opts.file} does not exist`);
  const dataDir = resolveDataDir(ctx.globals.dataDir, ctx.io.env);
  const own = loadSigningKey(dataDir);
  const given = opts.publicKey === undefined ? undefined : readPublicKey(opts.publicKey);
  const publicKey = given ?? own?.publicKey;
  // The records' MACs can be checked only with the private key, when it is the key the export is checked against.
  const macKey = own && publicKey?.equals(own.publicKey) ? own.macKey : undefined;
  const keySource = given ? `--public-key ${opts.publicKey}` : own ? `the audit key of ${dataDir}` : undefined;
  const result = verifyExportFile(opts.file, { publicKey, macKey });
  if (result.ok) {
    ctx.out.result({ ...result, file: opts.file }, () => [
      `audit export ${opts.file}: intact`,
      `  entries ${result.first}–${result.last}: ${result.records} record(s), ${result.checkpoints} signed checkpoint(s)${result.macsChecked ? ", every record's MAC checked" : ""}`,
      keySource
        ? `  signed by ${keySource}`
        : "  signed by the key the file names, which nothing pinned: pass --public-key (from `polyvault audit public-key`) to check it is yours",
    ]);
    return EXIT.OK;
  }
  const message = `audit export ${opts.file}: ${result.problem}`;
  if (ctx.out.json) ctx.out.record({ ...result, file: opts.file, error: { code: "INTEGRITY", message } });
  else ctx.io.stderr.write(`polyvault: INTEGRITY: ${message}\n`);
  return EXIT.INTEGRITY;
}

export function publicKeyCommand(ctx: Context): number {
  const dataDir = resolveDataDir(ctx.globals.dataDir, ctx.io.env);
  const keys = loadSigningKey(dataDir);
  if (!keys) throw new NotFoundError(`${dataDir} has no audit signing key yet (it is created with the first audit record)`);
  const pem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
  ctx.out.result({ dataDir, publicKey: pem }, () => pem.trimEnd());
  return EXIT.OK;
}
