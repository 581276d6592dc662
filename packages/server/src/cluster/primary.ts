/**
 * The primary of `polyvault serve --workers N` (node:cluster). It opens no runtime and holds no key: it
 * starts the workers, restarts one that dies, answers their requests for the summed metrics, relays sync
 * run records between them, and on SIGTERM orders every worker to drain.
 *
 * Start-up is in two steps: worker 1 opens its runtime first (it may create the keyring, the audit chain,
 * the local token and the `config.change` record, none of which two processes should race to create),
 * then the others, which have loaded their code meanwhile.
 *
 * Workers run this process's own script and arguments again (node:cluster's default: `polyvault serve
 * …`); the CLI's serve command is the worker side (workerRole(), turnToOpen(), serve({ worker }),
 * announceReady(), drainOrdered(), leaveCluster()). A library that embeds the gateway does the same. A worker that exits before it listens stops the start, with its exit code (it has printed why).
 */
import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import { AuditLog } from "@polyvault/core";
import { pino } from "pino";
import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client";
import { AuditHub } from "./audit-relay.js";
import { HOLD_ENV, PORT_ENV, type ToPrimary, type ToWorker, VAULT_PORT_ENV, WORKER_ENV, isOurs } from "./messages.js";

export interface ClusterOptions {
  readonly workers: number;
  readonly host: string;
  /** 0 is resolved to a free port here, once, for every worker and every restart. */
  readonly port: number;
  readonly vaultPort?: number | undefined;
  readonly logLevel?: string | undefined;
}

export interface RunningCluster {
  readonly url: string;
  readonly vaultUrl?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly workers: number;
  /** Orders every worker to drain; resolves with 0 once all have exited 0, else 1. */
  drain(): Promise<number>;
  /** A second signal: every worker stops now (its own second-signal path), exit 1. */
  force(): void;
}

/** A worker exited before it listened; it printed why. */
export class WorkerStartError extends Error {
  constructor(readonly exitCode: number) {
    super(`a gateway worker exited with code ${exitCode} before it listened`);
  }
}

type Ready = Extract<ToPrimary, { type: "pv:ready" }>;

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once("error", reject).listen({ host, port: 0, exclusive: true }, resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * A message to a worker. Its channel may close between the check and the write (the worker exiting):
 * the error goes to the callback, which drops it, instead of an 'error' event nothing listens to, which
 * would end the primary. A worker that went away has no request left to answer; the primary restarts it.
 */
function sendTo(w: Worker, message: ToWorker): void {
  if (w.isConnected()) w.send(message, () => undefined);
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const log = pino({ level: options.logLevel ?? "info", base: { pid: process.pid, role: "primary" } }, process.stderr);
  const port = options.port || (await freePort(options.host));
  const vaultPort = options.vaultPort === 0 ? await freePort(options.host) : options.vaultPort;
  const env = { [PORT_ENV]: String(port), ...(vaultPort === undefined ? {} : { [VAULT_PORT_ENV]: String(vaultPort) }) };

  const metrics = new Registry();
  new Gauge({ name: "polyvault_cluster_workers", help: "Gateway worker processes configured (--workers)", registers: [metrics] }).set(options.workers);
  const restarts = new Counter({
    name: "polyvault_cluster_worker_restarts_total",
    help: "Gateway workers restarted after they exited unexpectedly, by worker number",
    labelNames: ["worker"],
    registers: [metrics],
  });
  const aggregator = new AggregatorRegistry();
  // The gateway's one audit writer (audit-relay.ts); a witness that cannot be updated is logged here.
  const onSideError = (err: unknown) =>
    log.error({ error: (err as Error)?.message ?? String(err) }, "audit log: a checkpoint could not be published or witnessed");
  const audit = new AuditHub((dir, o) => new AuditLog(dir, { ...o, onSideError }), onSideError);
  const byId = new Map<number, Worker>();
  const listening = new WeakSet<Worker>();
  let stopping = false;
  /** Worker 1 listens: held workers may open their runtime (`pv:turn` → `pv:go`). */
  let opened = false;
  const held: Worker[] = [];

  const fork = (id: number, hold = false): Promise<Ready> => {
    const worker = cluster.fork({ ...env, [WORKER_ENV]: String(id), ...(hold ? { [HOLD_ENV]: "1" } : {}) });
    byId.set(id, worker);
    log.info({ worker: id, workerPid: worker.process.pid }, "worker started");
    return new Promise((resolve, reject) => {
      worker.on("message", (m: unknown) => {
        if (!isOurs<ToPrimary>(m) || m.type !== "pv:ready") return;
        listening.add(worker);
        resolve(m);
      });
      worker.once("exit", (code, signal) => reject(new WorkerStartError(code ?? (signal ? 1 : 0))));
    });
  };

  let quick = 0;
  const supervise = (id: number, worker: Worker, started: number) => {
    worker.once("exit", (code, signal) => {
      if (stopping || byId.get(id) !== worker) return;
      restarts.inc({ worker: String(id) });
      // A worker that dies soon after starting is restarted after a growing pause (at most 30 s).
      quick = Date.now() - started < 10_000 ? quick + 1 : 0;
      const delay = Math.min(30_000, quick ? 250 * 2 ** quick : 0);
      log.error({ worker: id, workerPid: worker.process.pid, code, signal, restartInMs: delay }, "worker exited unexpectedly; restarting it");
      setTimeout(() => {
        if (stopping) return;
        const at = Date.now();
        fork(id).then(
          () => log.info({ worker: id, workerPid: byId.get(id)?.process.pid }, "worker restarted"),
          () => undefined, // its exit is handled by supervise() below
        );
        const next = byId.get(id);
        if (next) supervise(id, next, at);
      }, delay).unref();
    });
  };

  cluster.on("message", (from: Worker, m: unknown) => {
    if (!isOurs<ToPrimary>(m)) return;
    if (audit.handle(m, from, (res) => sendTo(from, res))) return;
    if (m.type === "pv:turn") {
      if (opened) sendTo(from, { type: "pv:go" });
      else held.push(from);
    } else if (m.type === "pv:metrics-req") {
      const answer = (res: ToWorker) => sendTo(from, res);
      Promise.all([aggregator.clusterMetrics(), metrics.metrics()]).then(
        ([workers, own]) => answer({ type: "pv:metrics-res", id: m.id, text: workers + own, contentType: aggregator.contentType }),
        (err: Error) => answer({ type: "pv:metrics-res", id: m.id, error: err.message }),
      );
    } else if (m.type === "pv:run") {
      for (const w of byId.values()) if (w !== from) sendTo(w, { type: "pv:run", rec: m.rec });
    } else if (m.type === "pv:rl") {
      // A worker's rate-limit counts, for the others (rate-share.ts: the limit is the gateway's, not a worker's).
      for (const w of byId.values()) if (w !== from) sendTo(w, m);
    }
  });

  const exited = () =>
    Promise.all([...byId.values()].map((w) => (w.isDead() ? w.process.exitCode : new Promise<number | null>((r) => w.once("exit", (c) => r(c))))));
  const stopAll = async () => {
    stopping = true;
    // A worker still starting has no drain handler yet: SIGTERM ends it (before it listens, that is Node's default).
    for (const w of byId.values()) {
      if (listening.has(w)) sendTo(w, { type: "pv:drain" });
      else if (!w.isDead()) w.process.kill("SIGTERM");
    }
    const codes = await exited();
    await audit.close();
    return codes.every((c) => c === 0) ? 0 : 1;
  };

  let first: Ready;
  const started = Date.now();
  try {
    // Workers 2…N load their code meanwhile and open the runtime once worker 1 listens (worker.ts, turnToOpen).
    const starting = fork(1);
    const rest = Array.from({ length: options.workers - 1 }, (_, i) => fork(i + 2, true));
    for (const r of rest) r.catch(() => undefined); // awaited below; a failure before then is the same failure
    first = await starting;
    opened = true;
    for (const w of held.splice(0)) sendTo(w, { type: "pv:go" });
    await Promise.all(rest);
  } catch (err) {
    await stopAll();
    throw err;
  }
  for (const [id, w] of byId) supervise(id, w, started);
  log.info({ workers: options.workers, url: first.url }, "every worker is listening");
  return {
    url: first.url,
    vaultUrl: first.vaultUrl,
    tokenFile: first.tokenFile,
    workers: options.workers,
    drain: stopAll,
    force: () => {
      for (const w of byId.values()) if (!w.isDead()) w.process.kill("SIGTERM");
    },
  };
}
