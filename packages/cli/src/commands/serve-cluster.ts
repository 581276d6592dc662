/**
 * `polyvault serve --workers N` (N > 1), in the primary process: start the workers (packages/server's
 * cluster/primary.ts), print where they listen, and on SIGTERM or Ctrl-C order every worker to drain. The
 * primary opens no runtime: each worker does, and worker 1 reports the address and the token file.
 */
import { type RunningCluster, WorkerStartError, startCluster } from "@polyvault/server";
import type { Context } from "../context.js";
import { EXIT, EXIT_CODES } from "../exit-codes.js";

export interface ClusterServeOptions {
  readonly workers: number;
  readonly host: string;
  readonly port: number;
  readonly vaultPort: number | undefined;
  readonly logLevel: string;
  readonly scheduler: boolean;
  readonly tls: boolean;
}

export async function serveCluster(ctx: Context, o: ClusterServeOptions): Promise<number> {
  let running: RunningCluster;
  try {
    running = await startCluster({ workers: o.workers, host: o.host, port: o.port, vaultPort: o.vaultPort, logLevel: o.logLevel });
  } catch (err) {
    // The worker printed its own error (`polyvault: <code>: …`); its exit code is the command's.
    if (err instanceof WorkerStartError) return err.exitCode;
    throw err;
  }
  ctx.out.result(
    {
      listening: running.url,
      ...(running.vaultUrl ? { vaultListening: running.vaultUrl } : {}),
      workers: running.workers,
      scheduler: o.scheduler,
      tls: o.tls,
      ...(running.tokenFile ? { tokenFile: running.tokenFile } : {}),
    },
    () => [
      `polyvault: gateway listening on ${running.url}`,
      `polyvault: ${running.workers} worker processes${o.scheduler ? " (worker 1 runs the scheduler)" : ""}`,
      ...(running.vaultUrl ? [`polyvault: vault-compatible reads listening on ${running.vaultUrl} (VAULT_ADDR; a tenant is the mount)`] : []),
      ...(running.tokenFile ? [`polyvault: no \`access\` configured: send 'Authorization: Bearer <token>' with the token in ${running.tokenFile}`] : []),
    ],
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  // Every worker drains (in-flight requests finish, push-on-write syncs end, the audit log is sealed)
  // and exits; a second signal stops them at once, as it does a single-process gateway.
  process.once("SIGTERM", () => running.force());
  process.once("SIGINT", () => running.force());
  return (await running.drain()) === 0 ? EXIT.OK : EXIT_CODES.INTERNAL;
}
