/**
 * Per-request principals, for the HTTP gateway. Runtime.open() builds the operation steps once, for the
 * principal of $POLYVAULT_TOKEN: right for a CLI process, which is one caller. A gateway serves many
 * callers, each with its own bearer token, so this module
 * - resolves the principal of each request through the runtime's own Security (the same authenticate():
 *   an unknown or missing token is counted, audited and alerted exactly as on the CLI), and
 * - hands out one SecretManager per tenant whose single step looks up the current request (an
 *   AsyncLocalStorage scope) and runs that principal's steps (access → audit) with the request's id.
 * Managers stay per tenant, so the security metrics of a tenant accumulate across requests.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  InternalError,
  LOCAL_OPERATOR,
  type Operation,
  type OperationStep,
  type Provider,
  SecretManager,
  Security,
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
  readonly #als = new AsyncLocalStorage<RequestScope>();
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

  /** The principal of an `Authorization` header value; UnauthorizedError (counted, audited) otherwise. */
  async authenticate(authorization: string | undefined): Promise<string> {
    const m = authorization === undefined ? null : /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    const token = m?.[1];
    try {
      return await this.security.authenticate(token, this.localActor);
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
      // Security's own message speaks of $POLYVAULT_TOKEN (the CLI); say what an HTTP client must do.
      if (authorization !== undefined && token === undefined) throw new UnauthorizedError("the Authorization header must be 'Bearer <token>'");
      throw new UnauthorizedError(token ? "the bearer token does not match any principal" : "access control is on: send 'Authorization: Bearer <token>'");
    }
  }

  /** Runs `fn` as one request: every SecretManager operation inside it acts as `scope.principal`. */
  run<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
    return this.#als.run(scope, fn);
  }

  /** The request being served, if any. */
  current(): RequestScope | undefined {
    return this.#als.getStore();
  }

  /** The current request as the caller of an operation (runtime/src/operations: authorized and audited there). */
  caller(): Caller {
    const scope = this.#scope();
    return { security: this.security, principal: this.security.enforcing ? scope.principal : undefined, actor: scope.principal, requestId: scope.requestId };
  }

  /** The tenant's manager (placement as Runtime.manager: primary, fast read path, mirrors). */
  manager(tenant: string): SecretManager {
    const id = parseTenantId(tenant);
    let m = this.#managers.get(id);
    if (!m) {
      const rt = this.runtime;
      const wrap = this.options.wrap ?? ((p: Provider) => p);
      const { primary } = rt.placement(id);
      const fast = rt.sets.get(primary.name)?.fast ?? primary;
      const step: OperationStep = { name: "request", run: (op, next) => this.#runAs(op, next) };
      m = new SecretManager({
        tenant: id,
        keyring: rt.keyring,
        primary: wrap(primary),
        readPrimary: wrap(fast),
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

  #scope(): RequestScope {
    const scope = this.#als.getStore();
    if (!scope) throw new InternalError("a gateway operation ran outside a request scope");
    return scope;
  }

  #runAs<T>(op: Operation, next: () => Promise<T>): Promise<T> {
    const scope = this.#scope();
    // The audit step reads `requestId` from the operation (requestIdOf in core).
    Object.assign(op, { requestId: scope.requestId, actor: scope.principal });
    let steps = this.#steps.get(scope.principal);
    if (!steps) {
      steps = this.security.steps(this.security.enforcing ? scope.principal : undefined);
      this.#steps.set(scope.principal, steps);
    }
    return runSteps(steps, op, next);
  }
}
