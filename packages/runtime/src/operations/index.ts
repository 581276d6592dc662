/** The operations layer: see operation.ts and docs/architecture.md, "Operations". */
export * from "./adopt.js";
export * from "./backup.js";
export * from "./caller.js";
export * from "./compliance.js";
export * from "./keys.js";
export * from "./migrate.js";
export * from "./operation.js";
export * from "./restore.js";
export * from "./rotation.js";
export * from "./sync.js";
export * from "./rotation-canary.js";
export * from "./backup-drill.js";
