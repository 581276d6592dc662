/**
 * A listening gateway: createServer() plus the scheduler (each scheduled route on its cron, the route
 * lease keeping one runner per route across gateways), the rotation-status refresh, and an orderly
 * close: stop the scheduler, stop accepting and let in-flight requests finish (fastify answers 503 to
 * requests that arrive meanwhile), wait for push-on-write syncs, then seal the audit log with a signed
 * checkpoint. The caller closes the runtime afterwards.
 */
import { isIP } from "node:net";
import { InvalidInputError } from "@polyvault/core";
import { type JobRun, type Runtime, jobRunner } from "@polyvault/runtime";
import type { FastifyInstance } from "fastify";
import { createServer } from "./app.js";
import { ensureLocalToken } from "./local-token.js";
import { hostnameOf } from "./request-guard.js";
import type { ServerOptions } from "./options.js";
import { type WorkerRole, joinCluster, tagResponses } from "./cluster/worker.js";
import { createVaultServer } from "./vault-compat/index.js";

export interface ServeOptions extends Omit<ServerOptions, "localToken" | "listenHost"> {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Default 8700; 0 picks a free port. */
  readonly port?: number | undefined;
  /** Also answer Vault KV v2 reads on this port, same host (docs/gateway.md, "Vault-compatible reads"); 0 picks a free port. */
  readonly vaultPort?: number | undefined;
  /** Run scheduled routes in this process (default true). */
  readonly scheduler?: boolean | undefined;
  /** How often the rotation-status gauge is recounted (default 5 min). */
  readonly rotationRefreshMs?: number | undefined;
  /** Serve on a non-loopback address without access control (refused otherwise). */
  readonly allowNoAuth?: boolean | undefined;
  /** Serve on a non-loopback address without TLS (refused otherwise: tokens and values would cross the network in clear). */
  readonly allowNoTls?: boolean | undefined;
  /**
   * Without `access`: the local token (default: read or created in `<data-dir>/gateway.token`); `false`
   * serves without one (only for a gateway no other user or process of the machine can reach).
   */
  readonly localToken?: { readonly token: string; readonly file: string } | false | undefined;
  /**
   * Set in a worker of `serve --workers N` (cluster/worker.ts): metrics summed over the workers, run
   * records shared, and what runs once per gateway (the scheduler, the rotation recount) runs only in
   * the leader. Absent: a single-process gateway, which is its own leader.
   */
  readonly worker?: WorkerRole | undefined;
}

export interface RunningGateway {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Without `access`: the file holding the local token `/v1/…` requests must bear. */
  readonly tokenFile?: string | undefined;
  /** With `vaultPort`: the Vault-compatible listener and its address (VAULT_ADDR). */
  readonly vault?: { readonly app: FastifyInstance; readonly url: string } | undefined;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8700;
/** How long close() waits for request handlers that outlived their connection. */
const HANDLERS_GRACE_MS = 15_000;

const isLoopback = (host: string) => host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

export async function serve(runtime: Runtime, options: ServeOptions = {}): Promise<RunningGateway> {
  const host = options.host ?? "127.0.0.1";
  const enforcing = runtime.config.access !== undefined;
  for (const name of options.allowedHosts ?? [])
    if (name !== "*" && hostnameOf(name) === undefined) throw new InvalidInputError(`--allowed-host ${JSON.stringify(name.slice(0, 80))} is not a host name`);
  if (!enforcing && !isLoopback(host) && !options.allowNoAuth) {
    throw new InvalidInputError(
      `refusing to serve on ${host} without access control: anyone who can reach it would be admin. Configure \`access\` in polyvault.yaml (docs/gateway.md, "Auth"), bind to 127.0.0.1, or pass --insecure-no-auth`,
    );
  }
  if (!isLoopback(host) && !options.tls && !options.allowNoTls) {
    throw new InvalidInputError(
      `refusing to serve on ${host} without TLS: bearer tokens and secret values would cross the network in clear. Give --tls-cert and --tls-key, or, when a proxy in front terminates TLS, pass --insecure-no-tls`,
    );
  }
  const local = enforcing || options.localToken === false ? undefined : (options.localToken ?? (await ensureLocalToken(runtime.dataDir)));
  const app = await createServer(runtime, { ...options, listenHost: host, localToken: local });
  const { scopes, activity, metrics } = app.gateway;
  if (options.worker) await joinCluster(app, options.worker);
  const leader = options.worker?.leader ?? true;
  for (const warning of [...runtime.warnings, ...scopes.security.alerts.warnings]) app.log.warn({ warning }, "configuration warning");
  if (local) app.log.info({ tokenFile: local.file }, "no `access` configured: /v1 requests need the local token (Authorization: Bearer <token in this file>)");
  const address = await app.listen({ host, port: options.port ?? DEFAULT_PORT });
  let vault: { app: FastifyInstance; url: string } | undefined;
  if (options.vaultPort !== undefined) {
    const vaultApp = await createVaultServer(app.gateway, { ...options, listenHost: host, localToken: local });
    if (options.worker) tagResponses(vaultApp, options.worker);
    try {
      vault = { app: vaultApp, url: await vaultApp.listen({ host, port: options.vaultPort }) };
    } catch (err) {
      await app.close();
      throw err;
    }
  }

  let stopScheduler: (() => void) | undefined;
  const scheduled = Object.values(runtime.config.routes ?? {}).some((r) => r.schedule);
  // Jobs that must run once per gateway belong here, under `leader` (with --workers N, worker 1 only).
  if (options.scheduler !== false && scheduled && leader) {
    const engine = await runtime.sync();
    stopScheduler = engine.watch((run) => {
      const rec = activity.record(run, "schedule");
      metrics.recordRun(rec.route, "schedule", rec);
      if (rec.ok) app.log.info({ route: rec.route, counts: rec.counts, skipped: rec.skipped }, "scheduled sync finished");
      else app.log.warn({ route: rec.route, counts: rec.counts, error: rec.error }, "scheduled sync failed");
    });
  }
  // Scheduled jobs (key rotation, backups, …: docs/scheduled-jobs.md), each once per period across gateways.
  const jobs = options.scheduler === false || !leader ? undefined : jobRunner(runtime, { onRun: (r) => logJob(app, r) });
  if (jobs?.jobs.length) jobs.start();
  const refresh = () =>
    activity.refreshRotation().then(
      () => activity.rotationError && app.log.warn({ error: activity.rotationError }, "rotation status could not be refreshed for every tenant"),
      (err: unknown) => app.log.warn({ error: (err as Error).message }, "rotation status could not be refreshed"),
    );
  if (leader) void refresh();
  const timer = leader ? setInterval(refresh, options.rotationRefreshMs ?? 300_000) : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  return {
    app,
    url: address,
    ...(local ? { tokenFile: local.file } : {}),
    ...(vault ? { vault } : {}),
    close: () =>
      (closing ??= (async () => {
        stopScheduler?.();
        await jobs?.stop();
        clearInterval(timer);
        await vault?.app.close();
        await app.close();
        // Handlers whose client hung up are no longer waited for by fastify's close: wait for them here,
        // before push-on-write, the seal and the runtime's close (inflight.ts).
        const idle = await app.gateway.inflight.idle(HANDLERS_GRACE_MS);
        if (!idle)
          app.log.warn({ running: app.gateway.inflight.running }, `request handlers still running ${HANDLERS_GRACE_MS / 1000} s after close; closing anyway`);
        await scopes.flushPushes();
        // Seal what this gateway wrote with a signed checkpoint (the runtime stays usable; closing it, or
        // the process exiting, closes the log).
        await scopes.security.audit.checkpoint();
      })()),
  };
}

function logJob(app: FastifyInstance, r: JobRun): void {
  const fields = { job: r.job, status: r.status, message: r.message, ...("counts" in r ? { counts: r.counts } : {}) };
  if (r.status === "failed") app.log.warn({ ...fields, error: r.error }, "scheduled job failed");
  else app.log.info(fields, "scheduled job finished");
}
