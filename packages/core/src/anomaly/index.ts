/** Access-anomaly alerts (docs/anomaly-alerts.md). */
export { type AnomalyOptions, type AnomalyRule, ANOMALY_DEFAULTS, ANOMALY_RULES, resolveAnomalyOptions } from "./options.js";
export { type AccessObservation, AnomalyDetector, type AnomalyFinding, namePrefix } from "./detector.js";
export { AnomalyMonitor, type AnomalyMonitorOptions } from "./monitor.js";
export { BASELINE_FILE, BaselineFile, baselineKeys } from "./store.js";
export type { BaselineState } from "./baseline.js";
export { AnomalyStep } from "./step.js";
