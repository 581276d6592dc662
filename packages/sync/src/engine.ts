/**
 * The sync engine: plans and applies routes, one process at a time per route (a lease in the state
 * store), records every run, and pushes single-secret changes made through Polyvault.
 */
import { randomUUID } from "node:crypto";
import { InvalidInputError, type Keyring, type TenantId } from "@polyvault/core";
import { Cron } from "croner";
import { type ApplyResult, applyPlan } from "./apply/applier.js";
import { type PlanOptions, planRoute } from "./plan/planner.js";
import { type Plan, type PlanAction, type RouteSpec, summarize } from "./plan/types.js";
import { acquireLease, leaseOwner } from "./state/lease-acquire.js";
import { Leadership } from "./state/leadership.js";
import { MAX_LEASE_MS, type RunSummary, type StateStore } from "./state/types.js";

export interface RoutePlan {
  readonly route: string;
  readonly plan: Plan;
}

export interface RouteRun {
  readonly route: string;
  readonly skipped?: string | undefined;
  readonly plan?: Plan | undefined;
  readonly result?: ApplyResult | undefined;
}

export interface RouteStatus {
  readonly name: string;
  readonly schedule: string | undefined;
  readonly lastRun: RunSummary | undefined;
  readonly pending: number;
  readonly lease: { holder: string; since: Date | undefined; ageMs: number | undefined; expiresAt: Date } | undefined;
  readonly unauthenticatedRecords: number;
}

export interface EngineOptions {
  readonly routes: readonly RouteSpec[];
  readonly state: StateStore;
  readonly keyring: Keyring;
  /** Identifies this process in route leases. */
  readonly owner?: string | undefined;
  /** How long a route lease lasts without renewal (default 5 min). */
  readonly leaseMs?: number | undefined;
}

export class SyncEngine {
  readonly owner: string;
  readonly #leaseMs: number;
  constructor(readonly options: EngineOptions) {
    this.owner = options.owner ?? leaseOwner();
    this.#leaseMs = Math.min(options.leaseMs ?? 300_000, MAX_LEASE_MS);
  }

  get routes(): readonly RouteSpec[] {
    return this.options.routes;
  }

  route(name: string): RouteSpec {
    const r = this.options.routes.find((x) => x.name === name);
    if (!r) throw new InvalidInputError(`no route named '${name}' (configured: ${this.options.routes.map((x) => x.name).join(", ") || "none"})`);
    return r;
  }

  #select(route?: string, tenant?: TenantId, allowName?: PlanOptions["allowName"]): Array<{ spec: RouteSpec; opts: PlanOptions }> {
    const specs = route ? [this.route(route)] : [...this.options.routes];
    return specs
      .filter((s) => !tenant || s.tenants.includes(tenant))
      .map((spec) => ({ spec, opts: { ...(tenant ? { tenants: [tenant] } : {}), ...(allowName ? { allowName } : {}) } }));
  }

  /** `allowName`: only the names the caller may sync (PlanOptions). */
  async plan(filter: { route?: string | undefined; tenant?: TenantId | undefined; allowName?: PlanOptions["allowName"] } = {}): Promise<RoutePlan[]> {
    const out: RoutePlan[] = [];
    for (const { spec, opts } of this.#select(filter.route, filter.tenant, filter.allowName))
      out.push({ route: spec.name, plan: await planRoute(spec, this.options.state, opts) });
    return out;
  }

  async apply(
    filter: { route?: string | undefined; tenant?: TenantId | undefined; names?: readonly string[] | undefined; allowName?: PlanOptions["allowName"] } = {},
    options: { confirm?: boolean | undefined; onProgress?: ((route: string, done: number, total: number) => void) | undefined } = {},
  ): Promise<RouteRun[]> {
    const runs: RouteRun[] = [];
    for (const { spec, opts } of this.#select(filter.route, filter.tenant, filter.allowName)) {
      runs.push(await this.#runRoute(spec, { ...opts, names: filter.names }, options));
    }
    return runs;
  }

  async #runRoute(
    spec: RouteSpec,
    planOptions: PlanOptions,
    options: { confirm?: boolean | undefined; onProgress?: ((route: string, done: number, total: number) => void) | undefined },
  ): Promise<RouteRun> {
    const lease = `route:${spec.name}`;
    const { state } = this.options;
    if (!(await this.#acquire(lease))) {
      const info = await state.leaseInfo(lease);
      const who = info ? `${info.holder}${info.since ? ` since ${info.since.toISOString()}` : ""}, until ${info.expiresAt.toISOString()}` : "another process";
      return { route: spec.name, skipped: `the route is held by ${who}` };
    }
    // A failed renewal is not fatal here: the run's own calls to the store fail and end it.
    const renew = setInterval(() => state.tryLease(lease, this.owner, this.#leaseMs).catch(() => false), Math.max(1000, this.#leaseMs / 3));
    const startedAt = new Date();
    const runId = randomUUID();
    try {
      // We hold the lease, so journal entries left "begun" belong to runs that died mid-action. The
      // fresh plan below redoes whatever they did not finish (or only records what they did).
      const interrupted = await state.pendingJournal(spec.name);
      for (const e of interrupted) await state.journalEnd(e.id, "failed", "interrupted; re-planned by a later run");
      const plan = await planRoute(spec, state, planOptions);
      let result: ApplyResult;
      try {
        result = await applyPlan(spec, plan, state, {
          keyring: this.options.keyring,
          runId,
          confirm: options.confirm,
          onProgress: (d, t) => options.onProgress?.(spec.name, d, t),
        });
      } catch (err) {
        await state.recordRun({ runId, route: spec.name, startedAt, finishedAt: new Date(), ok: false, counts: { ...plan.summary, refused: 1 } });
        throw err;
      }
      const c = result.counts;
      await state.recordRun({
        runId,
        route: spec.name,
        startedAt,
        finishedAt: new Date(),
        ok: c.failed === 0 && c.conflictsLeft === 0,
        counts: { ...plan.summary, ...c, interrupted: interrupted.length },
      });
      return { route: spec.name, plan, result };
    } finally {
      clearInterval(renew);
      await state.releaseLease(lease, this.owner);
    }
  }

  /** The route lease; a lease left by a crashed process on this host (its pid is gone) is taken over. */
  #acquire(lease: string): Promise<boolean> {
    return acquireLease(this.options.state, lease, this.owner, this.#leaseMs);
  }

  /** Push on write: sync one secret's routes now (routes whose source is `provider` and that carry `tenant`). */
  async push(tenant: TenantId, name: string, provider: string): Promise<RouteRun[]> {
    const out: RouteRun[] = [];
    for (const spec of this.options.routes) {
      if (spec.source.name !== provider || !spec.tenants.includes(tenant)) continue;
      out.push(await this.#runRoute(spec, { tenants: [tenant], names: [name] }, {}));
    }
    return out;
  }

  /** Routes whose cron has a tick between their last run and now (never-run scheduled routes are due). */
  async due(now = new Date()): Promise<RouteSpec[]> {
    const out: RouteSpec[] = [];
    for (const spec of this.options.routes) {
      if (!spec.schedule) continue;
      const last = await this.options.state.lastRun(spec.name);
      const next = last ? new Cron(spec.schedule, { paused: true }).nextRun(last.startedAt) : undefined;
      if (!last || (next && next <= now)) out.push(spec);
    }
    return out;
  }

  /** Runs every due route once. */
  async runDue(now = new Date()): Promise<RouteRun[]> {
    const runs: RouteRun[] = [];
    for (const spec of await this.due(now)) runs.push(await this.#runRoute(spec, {}, {}));
    return runs;
  }

  /**
   * The scheduler: one croner job per scheduled route, with overlap prevention (`protect`) in this
   * process and the route lease across processes — and, of several processes sharing one state store,
   * only the leader runs jobs (scheduler leadership, a lease renewed every second): the others stand by
   * and take over within a poll when the leader dies. Returns a stop function.
   */
  watch(onRun: (run: RouteRun | { route: string; error: unknown }) => void, options: { leadershipTtlMs?: number; pollMs?: number } = {}): () => Promise<void> {
    let jobs: Cron[] = [];
    const startJobs = () => {
      jobs = this.options.routes
        .filter((s) => s.schedule)
        .map(
          (spec) =>
            new Cron(spec.schedule as string, { protect: true, name: `route:${spec.name}` }, async () => {
              try {
                onRun(await this.#runRoute(spec, {}, {}));
              } catch (error) {
                onRun({ route: spec.name, error });
              }
            }),
        );
      // Catch up with whatever fell due while no process was leading.
      void this.runDue().then(
        (runs) => {
          for (const r of runs) onRun(r);
        },
        (error: unknown) => onRun({ route: "*", error }),
      );
    };
    const stopJobs = () => {
      for (const j of jobs) j.stop();
      jobs = [];
    };
    const lead = new Leadership({
      state: this.options.state,
      owner: this.owner,
      ttlMs: options.leadershipTtlMs,
      pollMs: options.pollMs,
      onAcquired: startJobs,
      onLost: stopJobs,
      onError: (error) => onRun({ route: "*", error }),
    }).start();
    return async () => {
      stopJobs();
      await lead.stop();
    };
  }

  /**
   * Routes with their last run, unfinished journal entries, who holds the route's lease and since when
   * (a route held for long by a holder nobody knows is worth a look), and how many state records of the
   * route fail authentication (ignored; a non-zero count means someone wrote to the state store).
   */
  async status(): Promise<{ routes: RouteStatus[] }> {
    const { state } = this.options;
    const routes: RouteStatus[] = [];
    for (const spec of this.options.routes) {
      const info = await state.leaseInfo(`route:${spec.name}`);
      let unauthenticated = 0;
      if (state.unauthenticated)
        for (const t of spec.targets) for (const tenant of spec.tenants) unauthenticated += await state.unauthenticated(spec.name, t.provider.name, tenant);
      routes.push({
        name: spec.name,
        schedule: spec.schedule,
        lastRun: await state.lastRun(spec.name),
        pending: (await state.pendingJournal(spec.name)).length,
        lease: info
          ? { holder: info.holder, since: info.since, ageMs: info.since ? Date.now() - info.since.getTime() : undefined, expiresAt: info.expiresAt }
          : undefined,
        unauthenticatedRecords: unauthenticated,
      });
    }
    return { routes };
  }
}

/** One summary over several route plans. */
export function combine(plans: readonly RoutePlan[]): { actions: PlanAction[]; summary: ReturnType<typeof summarize> } {
  const actions = plans.flatMap((p) => p.plan.actions);
  return { actions, summary: summarize(actions) };
}
