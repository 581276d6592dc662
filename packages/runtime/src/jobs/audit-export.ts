/**
 * `audit.export` (configuration `audit: { export: { schedule, dir, format } }`): each run writes the audit
 * entries since the last export to a new file in `dir` that verifies on its own (`polyvault audit verify
 * --file F`), with no gap and no duplicate across runs, even a run killed half way (core's
 * exportIncremental; docs/audit.md, "Scheduled export"). `polyvault audit export --incremental --dir D`
 * is one run by hand.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { type ExportFormat, type IncrementalExportResult, exportIncremental } from "@polyvault/core";
import { type Caller, detailOf, runOperation } from "../operations/operation.js";
import type { Runtime } from "../runtime.js";
import type { JobFactory } from "./types.js";

export interface AuditExportOptions {
  readonly dir: string;
  readonly format?: ExportFormat | undefined;
}

/** One export run as an operation: authorized (`audit.export` on every tenant: a file holds the whole chain), audited before it reads. */
export function runAuditExport(caller: Caller, options: AuditExportOptions): Promise<IncrementalExportResult> {
  return runOperation(
    caller,
    { action: "audit.export", permission: "audit.export", changes: true },
    () => exportIncremental(caller.security.audit, { dir: options.dir, format: options.format }),
    (r) => ({
      detail: detailOf({
        incremental: true,
        file: r.file?.name,
        first: r.file?.first,
        last: r.file?.last,
        records: r.file?.records ?? 0,
        segmentRecords: r.segments?.reduce((n, g) => n + (g.file?.records ?? 0), 0) || undefined,
        adopted: r.adopted,
        rejected: r.rejected.length || undefined,
      }),
    }),
  );
}

/** `audit.export.dir` as a path: relative to the configuration file's directory, else to the data directory. */
export function auditExportDir(rt: Runtime, dir = rt.config.audit?.export?.dir): string | undefined {
  if (dir === undefined) return undefined;
  return isAbsolute(dir) ? dir : resolve(rt.loaded.path ? dirname(rt.loaded.path) : rt.dataDir, dir);
}

export const auditExportJob: JobFactory = (config) => {
  const e = config.audit?.export;
  if (!e) return undefined;
  return {
    name: "audit.export",
    schedule: e.schedule,
    permission: "audit.export",
    description: `the audit entries since the last export, as a file that verifies on its own, in ${e.dir}`,
    async run(ctx) {
      const dir = auditExportDir(ctx.runtime) as string;
      const r = await runAuditExport(ctx.caller, { dir, format: e.format });
      const counts = { records: r.file?.records ?? 0, first: r.file?.first ?? 0, last: r.cursor, adopted: r.adopted ? 1 : 0, rejected: r.rejected.length };
      if (r.rejected.length) ctx.log(`moved aside export file(s) that did not verify: ${r.rejected.join(", ")}`);
      if (!r.file) return { status: "nothing-due", message: `nothing signed since the last export (record ${r.cursor})`, counts };
      ctx.log(`${r.file.name}: entries ${r.file.first}–${r.file.last}, ${r.file.records} record(s)`);
      return { status: "done", message: `exported entries ${r.file.first}–${r.file.last} (${r.file.records} records) to ${dir}/${r.file.name}`, counts };
    },
  };
};
