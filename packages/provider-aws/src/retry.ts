/**
 * Every provider method runs as one operation with one deadline (`timeoutMs`), shared by all the AWS
 * calls it makes and all their retries: core's retry engine (`attempt`, docs/configuration.md). The
 * SDK's own retries are off (maxAttempts 1 on the client).
 */
import { Deadline, type RetryPolicy, UnavailableError, attempt } from "@polyvault/core";
import { toPolyvaultError } from "./errors.js";

export class Operation {
  readonly deadline: Deadline;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly provider: string,
  ) {
    this.deadline = new Deadline(policy.timeoutMs);
  }

  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  /** One AWS call (idempotent: retried) under this operation's deadline; failures mapped. */
  call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, retries?: number): Promise<T> {
    const mapError = (err: unknown, expired: boolean) =>
      expired
        ? new UnavailableError(`${what}: Secrets Manager did not answer within ${this.policy.timeoutMs} ms`, { cause: err, provider: this.provider })
        : toPolyvaultError(err, { provider: this.provider, what });
    return attempt({ deadline: this.deadline, policy: this.policy, mapError, retries }, (signal) => fn(signal));
  }
}
