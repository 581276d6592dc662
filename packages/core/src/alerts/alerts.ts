/**
 * Alerts to a webhook: a JSON POST signed with HMAC-SHA256, retried with p-retry (exponential backoff
 * with jitter) on network errors, timeouts, 408, 429 and 5xx; any other 4xx is final. The signature
 * covers the timestamp and the body (`<timestamp>.<body>`), so a receiver can refuse replays; the key
 * comes from the environment variable that `alerts.secretEnv` names. Without `alerts` in the
 * configuration, Alerts.disabled() accepts every event and sends nothing.
 *
 * The signed body goes to the configured URL and nowhere else: redirects are never followed (a 3xx is a
 * failed delivery, not retried), so a receiver, or whoever answers in its name, cannot send the alert on
 * to another host. The answer's body is never read (it is cancelled: nothing a receiver sends can grow
 * the process). `warnings` says, for the gateway to log at start-up, when alerts travel in clear
 * (`http://` to another host than loopback) or unsigned (no `secretEnv`).
 */
import { createHmac, randomUUID } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import type { AnomalyOptions } from "../anomaly/options.js";
import { InvalidInputError } from "../errors.js";
import { type AlertDelivery, type AlertEvent, alertError } from "./events.js";

export interface AlertsOptions {
  readonly webhook: string;
  /** Name of the environment variable holding the HMAC key. */
  readonly secretEnv?: string | undefined;
  readonly violationThreshold?: number | undefined;
  readonly expiryDays?: number | undefined;
  /** Access-anomaly rules (docs/anomaly-alerts.md); absent: off. */
  readonly anomaly?: AnomalyOptions | undefined;
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

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function webhookWarnings(webhook: string, signed: boolean): string[] {
  const out: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(webhook);
  } catch {
    return [`alerts.webhook is not a URL: alerts cannot be delivered`];
  }
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname))
    out.push(`alerts.webhook uses http:// to ${url.host}: alerts and their signatures cross the network in clear (use https://)`);
  if (!signed) out.push("alerts.secretEnv is not set: alerts are sent unsigned, so a receiver cannot tell them from forgeries");
  return out;
}

export class Alerts {
  readonly violationThreshold: number;
  readonly expiryDays: number;
  readonly #init: AlertsInit;
  /** What an operator should know about this configuration (logged by `serve` at start-up). */
  readonly warnings: readonly string[];

  constructor(init: AlertsInit) {
    this.#init = init;
    this.violationThreshold = init.violationThreshold ?? 3;
    this.expiryDays = init.expiryDays ?? 14;
    this.warnings = init.webhook === undefined ? [] : webhookWarnings(init.webhook, init.key !== undefined);
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
          const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(this.#init.timeoutMs ?? 5_000) });
          await res.body?.cancel().catch(() => undefined);
          if (res.ok) return res.status;
          if (res.status >= 300 && res.status < 400)
            throw new AbortError(`webhook answered a redirect (HTTP ${res.status}); redirects are not followed: configure the final URL`);
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
