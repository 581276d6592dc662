/** Secret rotation: policies, schedule, blue-green staging with confirm/rollback, gradual rollout hooks. */
export * from "./blue-green.js";
export * from "./events.js";
export * from "./gradual.js";
export * from "./pending.js";
export * from "./policy.js";
export * from "./run.js";
export { ORIGINAL_TIME_KEY, type RotationDue, type RotationStatus, assessRotation, lastRotationTime, rotationSchedule } from "./schedule.js";
export { MAX_COMMAND_OUTPUT, rotationValue } from "./value-source.js";
export * from "./canary.js";
export { CANARY_FILE, CANARY_PHASES, type CanaryPhase, type CanaryRecord, CanaryRecords } from "./canary-record.js";
export { type CanaryCheckSubject, runCanaryCheck } from "./canary-check.js";
