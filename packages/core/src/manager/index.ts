export * from "./generate.js";
export * from "./metadata.js";
export * from "./metrics.js";
export * from "./secret-manager.js";
export * from "./secret-value.js";
export * from "./steps.js";
export * from "./rewrap.js";
export * from "./mirror-check.js";
