/** Webhook alerts (docs/access-control.md, "Alerts"). */
export { Alerts, type AlertsInit, type AlertsOptions, SIGNATURE_HEADER, TIMESTAMP_HEADER, signAlert } from "./alerts.js";
export * from "./events.js";
