/**
 * Alerts to a webhook: a JSON POST signed with HMAC-SHA256, retried with p-retry (exponential backoff
 * with jitter) on network errors, timeouts, 408, 429 and 5xx; any other 4xx is final. The signature
 * covers the timestamp and the body (`<timestamp>.<body>`), so a receiver can refuse replays; the key
 * comes from the environment variable that `alerts.secretEnv` names. Without `alerts` in the
 * configuration, Alerts.disabled() accepts every event and sends nothing.
 */
import { createHmac, randomUUID } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import { InvalidInputError } from "../errors.js";
import { type AlertDelivery, type AlertEvent, alertError } from "./events.js";

export interface AlertsOptions {
  readonly webhook: string;
  /** Name of the environment variable holding the HMAC key. */
  readonly secretEnv?: string | undefined;
  readonly violationThreshold?: number | undefined;
  readonly expiryDays?: number | undefined;
}

export interface AlertsInit {
  readonly webhook?: string | undefined;
  readonly key?: Uint8Array | undefined;
  readonly violationThreshold?: number | undefined;
  readonly expiryDays?: number | undefined;
  readonly retries?: number | undefined;
  readonly minRetryMs?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export const SIGNATURE_HEADER = "x-polyvault-signature";
export const TIMESTAMP_HEADER = "x-polyvault-timestamp";

/** `sha256=<hex>` of HMAC-SHA256(key, `${timestamp}.${body}`): what a receiver recomputes and compares. */
export function signAlert(key: Uint8Array, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", key).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}

export class Alerts {
  readonly violationThreshold: number;
  readonly expiryDays: number;
  readonly #init: AlertsInit;

  constructor(init: AlertsInit) {
    this.#init = init;
    this.violationThreshold = init.violationThreshold ?? 3;
    this.expiryDays = init.expiryDays ?? 14;
  }

  static disabled(): Alerts {
    return new Alerts({});
  }

  /** From polyvault.yaml's `alerts`; a `secretEnv` naming an unset variable is a configuration error. */
  static fromConfig(config: AlertsOptions | undefined, env: NodeJS.ProcessEnv): Alerts {
    if (!config) return Alerts.disabled();
    let key: Buffer | undefined;
    if (config.secretEnv !== undefined) {
      const raw = env[config.secretEnv];
      if (!raw)
        throw new InvalidInputError(`alerts.secretEnv names ${config.secretEnv}, but that environment variable is not set (it holds the webhook's HMAC key)`);
      key = Buffer.from(raw, "utf8");
    }
    return new Alerts({ webhook: config.webhook, key, violationThreshold: config.violationThreshold, expiryDays: config.expiryDays });
  }

  get enabled(): boolean {
    return this.#init.webhook !== undefined;
  }

  async notify(event: AlertEvent): Promise<AlertDelivery> {
    const url = this.#init.webhook;
    if (url === undefined) return { delivered: false, attempts: 0, error: "alerts are not configured", skipped: true };
    const body = JSON.stringify({ id: randomUUID(), source: "polyvault", time: new Date().toISOString(), ...event });
    let attempts = 0;
    try {
      const status = await pRetry(
        async () => {
          attempts++;
          const timestamp = String(Math.floor(Date.now() / 1000));
          const headers: Record<string, string> = {
            "content-type": "application/json",
            "user-agent": "polyvault-alerts/1",
            "x-polyvault-event": event.kind,
            [TIMESTAMP_HEADER]: timestamp,
          };
          if (this.#init.key) headers[SIGNATURE_HEADER] = signAlert(this.#init.key, timestamp, body);
          const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(this.#init.timeoutMs ?? 5_000) });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return res.status;
          const err = new Error(`webhook answered HTTP ${res.status}`);
          if (res.status === 408 || res.status === 429 || res.status >= 500) throw err;
          throw new AbortError(err);
        },
        { retries: this.#init.retries ?? 3, minTimeout: this.#init.minRetryMs ?? 200, factor: 2, randomize: true },
      );
      return { delivered: true, attempts, status };
    } catch (err) {
      return { delivered: false, attempts, error: alertError(err).message };
    }
  }
}
