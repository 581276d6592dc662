/**
 * The demo's scheduled-jobs steps (docs/scheduled-jobs.md): one pass of the job runner that `serve` and
 * `polyvault jobs run --watch` keep running — key rotation (not due yet: the demo just rotated) and a
 * verified backup per tenant — then a restore drill of the newest bundle into a scratch data directory.
 */
import { type Runtime, backupDrill, backupsDir, jobRunner } from "@polyvault/runtime";

export async function demoJobs(rt: Runtime, say: (step: string, result: string) => void): Promise<void> {
  const runner = jobRunner(rt);
  const runs = await runner.runDue();
  say("scheduled jobs", runs.map((r) => `${r.job} (${runner.job(r.job).schedule}): ${r.status}: ${r.message}`).join("\n    "));
  const next = (await runner.status()).map((s) => `${s.name} runs next at ${s.nextRun?.toISOString()}`).join(", ");
  say("jobs status", `${next}; several gateways sharing a state store run each job once per period (a lease)`);
  const drill = await backupDrill(rt, { tenant: "acme", dir: backupsDir(rt) });
  say(
    "backup drill",
    `acme's newest bundle restored into a scratch data directory: ${drill.versionsVerified} version(s) of ${drill.secrets} secret(s) read back with matching digests; live primary: ${drill.live.same} same, ${drill.live.changedSince} changed since`,
  );
}
