/**
 * The worker side of `polyvault serve --workers N`. Each worker is a whole gateway (its own runtime,
 * providers, audit writer and state-store connection) listening on the shared port; node:cluster's
 * primary hands it connections. What a worker adds to a single-process gateway:
 * - `X-Polyvault-Worker: <n>` on every answer (which worker served it; a restarted worker keeps its n);
 * - `/metrics` answers the primary's sum over every worker (prom-client's AggregatorRegistry);
 * - each sync run it records is relayed to the other workers, so every worker's status page lists the
 *   gateway's runs, not only its own;
 * - its audit records go to a chain of its own, the segment `w<n>` (core's segments.ts; docs/audit.md,
 *   "Workers"), which the main chain names and `audit verify` checks with it. Two alternatives are kept to
 *   measure them: POLYVAULT_CLUSTER_AUDIT=relay (records go to the primary's one writer, audit-relay.ts)
 *   and =lock (each worker appends to the main chain under the data directory's lock itself);
 * - only worker 1, the leader, runs the scheduler and the rotation recount (serve.ts).
 */
import cluster from "node:cluster";
import { type AuditLog, type AuditOptions, SegmentLog } from "@polyvault/core";
import type { FastifyInstance } from "fastify";
import { AggregatorRegistry } from "prom-client";
import type { Gateway } from "../app.js";
import { relayAudit } from "./audit-relay.js";
import { HOLD_ENV, PORT_ENV, type ToPrimary, type ToWorker, VAULT_PORT_ENV, WORKER_ENV, isOurs } from "./messages.js";

export interface WorkerRole {
  readonly id: number;
  /** Runs what must run once per gateway: the scheduler, the rotation recount. */
  readonly leader: boolean;
}

/** This process's role when the primary of `serve --workers N` started it; undefined otherwise. */
export function workerRole(env: NodeJS.ProcessEnv = process.env): WorkerRole | undefined {
  const id = Number(env[WORKER_ENV]);
  if (!cluster.isWorker || !Number.isInteger(id) || id < 1) return undefined;
  return { id, leader: id === 1 };
}

/** The ports the primary resolved for every worker. */
export function workerPorts(env: NodeJS.ProcessEnv = process.env): { port: number; vaultPort: number | undefined } {
  const vault = env[VAULT_PORT_ENV];
  return { port: Number(env[PORT_ENV]), vaultPort: vault ? Number(vault) : undefined };
}

const send = (m: ToPrimary) => {
  // A channel closing under the write (the primary gone) reports to the callback, not as an unhandled 'error'.
  if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
};

/** Wires a worker's gateway app into the cluster; call before it listens. */
export async function joinCluster(app: FastifyInstance, role: WorkerRole): Promise<void> {
  tagResponses(app, role);
  const { metrics, activity, scopes, runtime }: Gateway = app.gateway;
  const mode = process.env.POLYVAULT_CLUSTER_AUDIT;
  if (mode === "relay") relayAudit(scopes.security.audit, runtime.dataDir, runtime.config.audit);
  else if (mode !== "lock") await writeToSegment(app, scopes.security.audit, role, runtime.config.audit);
  // prom-client answers the primary's requests for this worker's metrics from our registry.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  const pending = new Map<number, (m: Extract<ToWorker, { type: "pv:metrics-res" }>) => void>();
  let next = 0;
  metrics.render = () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error("the gateway's primary process did not answer for the workers' metrics within 10 s"));
      }, 10_000);
      pending.set(id, (m) => {
        clearTimeout(timer);
        pending.delete(id);
        if (m.error !== undefined || m.text === undefined) reject(new Error(`the workers' metrics could not be gathered: ${m.error ?? "no answer"}`));
        else resolve({ text: m.text, contentType: m.contentType ?? metrics.registry.contentType });
      });
      send({ type: "pv:metrics-req", id });
    });
  activity.onRecord = (rec) => send({ type: "pv:run", rec });
  process.on("message", (m: unknown) => {
    if (!isOurs<ToWorker>(m)) return;
    if (m.type === "pv:metrics-res") pending.get(m.id)?.(m);
    else if (m.type === "pv:run") activity.adopt(m.rec);
  });
}

/**
 * This worker's records go to its segment `w<n>` (opened, or continued after a restart, before it
 * listens); `checkpoint()` seals the segment and then the main chain; `close()` seals the segment, states
 * its last checkpoint in the main chain, then closes the main log.
 */
async function writeToSegment(app: FastifyInstance, main: AuditLog, role: WorkerRole, options: AuditOptions | undefined): Promise<void> {
  const onSideError = (err: unknown, where: string) =>
    app.log.error({ error: (err as Error)?.message ?? String(err), where }, "audit log: a checkpoint could not be published or stated in the main chain");
  const segment = await SegmentLog.open(main, `w${role.id}`, { ...options, onSideError }, `worker=${role.id} pid=${process.pid}`);
  const mainCheckpoint = main.checkpoint.bind(main);
  const mainClose = main.close.bind(main);
  main.append = (record) => segment.log.append(record);
  main.checkpoint = async () => {
    await segment.log.checkpoint();
    await segment.settled();
    await mainCheckpoint();
  };
  main.close = async () => {
    try {
      await segment.close();
    } finally {
      await mainClose();
    }
  };
}

/** `X-Polyvault-Worker` on every answer of `app` (the Vault-compatible listener too). */
export function tagResponses(app: FastifyInstance, role: WorkerRole): void {
  const id = String(role.id);
  // onSend: refusals from the earlier hooks (Host, Origin, rate limit) carry it too.
  app.addHook("onSend", async (_req, reply) => {
    reply.header("x-polyvault-worker", id);
  });
}

/**
 * Workers 2…N start with worker 1 (so their start-up overlaps its), but open the runtime only once it
 * listens: it may create the keyring, the local token and the audit chain, which two processes must not race for.
 */
export function turnToOpen(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!cluster.isWorker || env[HOLD_ENV] !== "1") return Promise.resolve();
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (isOurs<ToWorker>(m) && m.type === "pv:go") {
        process.off("message", on);
        resolve();
      }
    };
    process.on("message", on);
    send({ type: "pv:turn" });
  });
}

/** Tells the primary this worker is listening (worker 1's answer is what `serve` prints). */
export function announceReady(ready: { url: string; vaultUrl?: string | undefined; tokenFile?: string | undefined }): void {
  send({ type: "pv:ready", ...ready });
}

/** Resolves when the primary orders a drain (its SIGTERM, SIGINT). */
export function drainOrdered(): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (isOurs<ToWorker>(m) && m.type === "pv:drain") {
        process.off("message", on);
        resolve();
      }
    };
    process.on("message", on);
  });
}

/** After the drain: closes the IPC channel so the process ends with its own exit code. */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) cluster.worker?.disconnect();
}
