/**
 * Every provider method runs as one operation with one deadline (`timeoutMs`), shared by all the Vault
 * requests it makes and all their retries, through core's retry engine (`attempt`,
 * docs/configuration.md). node-vault cannot cancel a request (it forwards no AbortSignal to axios), so
 * each attempt gets the time left as its axios timeout: a server that accepts the connection but never
 * answers costs at most the deadline.
 *
 * Retry-After: node-vault's response wrapper keeps only status and body, so Vault's Retry-After header
 * (sent with 429 from rate-limit quotas) never reaches us; a mapped error that does carry
 * `retryAfterMs` is still honoured, and otherwise the backoff applies.
 */
import { Deadline, type RetryPolicy, UnavailableError, attempt } from "@polyvault/core";
import { toPolyvaultError } from "./errors.js";

export class Operation {
  private readonly deadline: Deadline;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly provider: string,
  ) {
    this.deadline = new Deadline(policy.timeoutMs);
  }

  /** Milliseconds left before this operation's deadline. */
  remaining(): number {
    return this.deadline.remaining();
  }

  /** One Vault request, retried while retryable and time is left; `fn` gets the axios timeout to use. */
  call<T>(what: string, fn: (timeoutMs: number) => Promise<T>): Promise<T> {
    const mapError = (err: unknown, expired: boolean) =>
      expired
        ? new UnavailableError(`${what}: vault did not answer within ${this.policy.timeoutMs} ms`, { provider: this.provider })
        : toPolyvaultError(err, { provider: this.provider, what });
    return attempt({ deadline: this.deadline, policy: this.policy, mapError }, (_signal, left) => fn(left));
  }
}
