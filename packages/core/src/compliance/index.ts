/** Compliance checks (GDPR, SOC 2, HIPAA, ISO/IEC 27001:2022, NIST CSF 2.0) evaluated from real state. */
export * from "./check.js";
export { dataResidency } from "./residency.js";
export { CONTROLS, type ControlDef, controlsFor } from "./standards.js";
export * from "./types.js";
export { DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_BACKUP_DRILL_DAYS } from "./governance.js";
export { DEFAULT_MAX_KEY_AGE_DAYS, DEFAULT_MAX_KEY_USES } from "./keys.js";
