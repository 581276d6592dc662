/** Vault KV v2 reads on a listener of their own (docs/gateway.md, "Vault-compatible reads"). */
export { type VaultServerOptions, createVaultServer } from "./server.js";
export { RESERVED_MOUNTS } from "./paths.js";
