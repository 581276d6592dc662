/** Access control: principals, roles per tenant with secret globs, lockout (docs/access-control.md). */
export { FailureCounters, Guard } from "./guard.js";
export { type FailureResult, LockoutStore } from "./lockout.js";
export { AccessControl, type Decision, compileSecretGlob } from "./policy.js";
export { Security, type SecurityOptions } from "./security.js";
export { AccessStep } from "./step.js";
export { principalForToken, type TokenDigest, tokenSha256 } from "./tokens.js";
export * from "./types.js";
