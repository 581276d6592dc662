/**
 * `polyvault_anomaly_alerts_total{rule, principal}`: access-anomaly alerts raised by this gateway
 * (docs/anomaly-alerts.md), read from the monitor at scrape time. Labels are bounded: `rule` is one of
 * the five rules; `principal` is a principal named in the access configuration (or the local operator),
 * and every other id (one a caller or $POLYVAULT_ACTOR chose) is counted as `_other`. Never a tenant,
 * a secret name or a value: the alert and the audit record say which tenant.
 */
import { LOCAL_OPERATOR } from "@polyvault/core";
import type { RequestScopes, Runtime } from "@polyvault/runtime";
import { Counter, type Registry } from "prom-client";

export const OTHER_PRINCIPALS = "_other";

export function anomalyCounter(registers: Registry[], runtime: Runtime, scopes: RequestScopes): Counter<"rule" | "principal"> {
  const known = new Set([LOCAL_OPERATOR, ...Object.keys(runtime.config.access?.principals ?? {})]);
  return new Counter({
    name: "polyvault_anomaly_alerts_total",
    help: "Access-anomaly alerts raised by this process, by rule and principal (principals outside the access configuration: _other)",
    labelNames: ["rule", "principal"],
    registers,
    collect() {
      this.reset();
      for (const [rule, byPrincipal] of scopes.security.anomaly?.counts() ?? [])
        for (const [p, n] of byPrincipal) this.inc({ rule, principal: known.has(p) ? p : OTHER_PRINCIPALS }, n);
    },
  });
}
