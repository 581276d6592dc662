export { FAILOVER_POLICY, RETRIES_RANGE, RETRY_DEFAULTS, type RetryPolicy, TIMEOUT_RANGE, retryPolicy } from "./policy.js";
export { Deadline, withDeadline } from "./deadline.js";
export { type AttemptOptions, allOf, attempt } from "./attempts.js";
