export * from "./config/load.js";
export * from "./config/rules.js";
export * from "./config/schema.js";
export * from "./data-dir.js";
export * from "./providers.js";
export * from "./runtime.js";
export * from "./api.js";
export * from "./config/rewrite.js";
