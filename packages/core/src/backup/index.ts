/** Signed, ciphertext-only backups of one tenant, restore with a plan, and restore drills. */
export * from "./catalog.js";
export * from "./create.js";
export * from "./drills.js";
export * from "./io.js";
export { BACKUP_FORMAT, type Bundle, type BundleHeader, type BundleSecret, type BundleVersion } from "./format.js";
export { type KeyringAction, applyKeyring, mergeKeyrings, planKeyring } from "./keyring-merge.js";
export * from "./restore.js";
export * from "./signing.js";
export * from "./verify.js";
