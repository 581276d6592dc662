export * from "./errors.js";
export * from "./names.js";
export * from "./provider.js";
export * from "./manager/index.js";
export * from "./crypto/index.js";
export * from "./bundles.js";
