/**
 * Per-request principals, for the HTTP gateway. Runtime.open() builds the operation steps once, for the
 * principal of $POLYVAULT_TOKEN: right for a CLI process, which is one caller. A gateway serves many
 * callers, each with its own bearer token, so this module
 * - resolves the principal of each request through the runtime's own Security (the same authenticate():
 *   an unknown or missing token is counted, audited and alerted exactly as on the CLI), and
 * - hands out one SecretManager per tenant whose single step runs the principal's steps (access → audit)
 *   with the request's id; a request acts through a view of it (`manager(tenant, scope)`,
 *   SecretManager.as) that carries its principal and id on every operation.
 * Managers stay per tenant, so the security metrics of a tenant accumulate across requests.
 *
 * The request is passed, never looked up: an AsyncLocalStorage scope did this before, and on Node 20 and
 * 22 it installs promise hooks that every promise of the process then pays for (3-11 % of a gateway GET's
 * throughput at 32 connections, docs/benchmarks.md).
 */
import {
  InternalError,
  LOCAL_OPERATOR,
  type Operation,
  type OperationStep,
  type Provider,
  SecretManager,
  Security,
  type TokenDigest,
  UnauthorizedError,
  parseTenantId,
  runSteps,
} from "@polyvault/core";
import type { RouteRun } from "@polyvault/sync";
import type { Caller } from "./operations/operation.js";
import { PushQueue } from "./push-queue.js";
import type { Runtime } from "./runtime.js";

export interface RequestScope {
  /** The authenticated principal (the runtime's actor when access control is off). */
  readonly principal: string;
  /** Recorded in every audit record of the request. */
  readonly requestId: string;
}

export interface RequestScopesOptions {
  /** Wraps each provider a manager uses (the gateway times provider calls here). */
  readonly wrap?: ((provider: Provider) => Provider) | undefined;
  /** Told about every push-on-write run (the gateway counts sync actions). */
  readonly onPush?: ((runs: readonly RouteRun[]) => void) | undefined;
}

export class RequestScopes {
  readonly security: Security;
  readonly #steps = new Map<string, OperationStep[]>();
  readonly #managers = new Map<string, SecretManager>();
  readonly #pushes: PushQueue;
  /** The latest push-on-write failures (the write itself succeeded; the schedule will catch up). */
  readonly pushErrors: Array<{ tenant: string; name: string; error: unknown }> = [];

  constructor(
    readonly runtime: Runtime,
    readonly options: RequestScopesOptions = {},
  ) {
    const security = Security.of(runtime.options.steps);
    if (!security) throw new InternalError("the runtime has no security steps (open it with Runtime.open)");
    this.security = security;
    this.#pushes = new PushQueue(() => runtime.sync(), {
      onRuns: options.onPush,
      onError: (tenant, name, error) => {
        // Bounded: a long-running gateway keeps only the latest failures (the schedule retries them all).
        this.pushErrors.push({ tenant, name, error });
        if (this.pushErrors.length > 100) this.pushErrors.splice(0, this.pushErrors.length - 100);
      },
    });
  }

  /** The actor recorded when access control is off. */
  get localActor(): string {
    return this.runtime.options.actor ?? LOCAL_OPERATOR;
  }

  /**
   * The principal of an `Authorization` header value; UnauthorizedError (counted, audited) otherwise.
   * `known`: the token's digest as the request already computed it (the rate limiter's), used only if it is
   * this token's.
   */
  async authenticate(authorization: string | undefined, known?: TokenDigest): Promise<string> {
    const m = authorization === undefined ? null : /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    const token = m?.[1];
    try {
      return await this.security.authenticate(token, this.localActor, known);
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
      // Security's own message speaks of $POLYVAULT_TOKEN (the CLI); say what an HTTP client must do.
      if (authorization !== undefined && token === undefined) throw new UnauthorizedError("the Authorization header must be 'Bearer <token>'");
      throw new UnauthorizedError(token ? "the bearer token does not match any principal" : "access control is on: send 'Authorization: Bearer <token>'");
    }
  }

  /** A request's scope: its principal (the local actor when access control is off) and its id. */
  scopeOf(req: { readonly principal?: string | undefined; readonly id: string }): RequestScope {
    return { principal: req.principal ?? this.localActor, requestId: req.id };
  }

  /** The request as the caller of an operation (runtime/src/operations: authorized and audited there). */
  caller(scope: RequestScope): Caller {
    return { security: this.security, principal: this.security.enforcing ? scope.principal : undefined, actor: scope.principal, requestId: scope.requestId };
  }

  /**
   * The tenant's manager (placement as Runtime.manager: primary, fast read path, mirrors), acting for the
   * request `scope`. Without a scope, the tenant's shared manager: its operations are refused (they must
   * belong to a request), but its tenant id, metrics and change listeners are the ones every request shares.
   */
  manager(tenant: string, scope?: RequestScope): SecretManager {
    const m = this.#manager(tenant);
    return scope ? m.as({ actor: scope.principal, requestId: scope.requestId }) : m;
  }

  #manager(tenant: string): SecretManager {
    const id = parseTenantId(tenant);
    let m = this.#managers.get(id);
    if (!m) {
      const rt = this.runtime;
      const wrap = this.options.wrap ?? ((p: Provider) => p);
      const { primary } = rt.placement(id);
      const set = rt.sets.get(primary.name);
      const fast = set?.fast ?? primary;
      const step: OperationStep = { name: "request", run: (op, next) => this.#runAs(op, next) };
      m = new SecretManager({
        tenant: id,
        keyring: rt.keyring,
        primary: wrap(primary),
        readPrimary: wrap(fast),
        // Its breaker open, the primary refuses at once: a read goes straight to the mirrors.
        readPrimaryRefusing: set ? () => set.gate.refusing : undefined,
        mirrors: rt.mirrorStores(id, wrap),
        // The sync state vouches for a mirror's copy, never its own metadata (docs/sync.md, failover reads).
        mirrorRecord: (mirror, name) => rt.mirrorRecord(id, mirror, name),
        steps: [step],
        actor: this.localActor,
      });
      if (rt.options.pushOnWrite !== false && Object.keys(rt.config.routes ?? {}).length) m.onChange((e) => this.#pushes.add(primary.name, e.tenant, e.name));
      this.#managers.set(id, m);
    }
    return m;
  }

  /** The managers handed out so far, by tenant (for metrics). */
  managers(): ReadonlyMap<string, SecretManager> {
    return this.#managers;
  }

  /** Waits for push-on-write syncs started by requests. */
  flushPushes(): Promise<void> {
    return this.#pushes.flush();
  }

  /** The request's steps: its principal and id are on the operation (a view from `manager(tenant, scope)`). */
  #runAs<T>(op: Operation, next: () => Promise<T>): Promise<T> {
    const principal = op.actor;
    if (op.requestId === undefined || principal === undefined)
      return Promise.reject(new InternalError("a gateway operation ran outside a request scope (RequestScopes.manager(tenant, scope))"));
    let steps = this.#steps.get(principal);
    if (!steps) {
      steps = this.security.steps(this.security.enforcing ? principal : undefined);
      this.#steps.set(principal, steps);
    }
    return runSteps(steps, op, next);
  }
}
