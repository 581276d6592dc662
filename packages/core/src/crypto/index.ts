/** Polyvault crypto: primitives, master key, keyring and the v1 envelope (docs/security-model.md). */
export * from "./envelope.js";
export {
  ENVELOPE_OVERHEAD,
  type EnvelopeHeader,
  FORMAT_VERSION,
  HEADER_BYTES,
  parseHeader,
  SUITE_AES256GCM_HKDF_COMMIT,
} from "./envelope-format.js";
export { Keyring, type KeyringStats, type KeyVersionInfo } from "./keyring.js";
export type { KeyState } from "./keyring-file.js";
export * from "./master-key.js";
export { checkScryptParams, DEFAULT_SCRYPT, type Passphrase, type ScryptParams, stretchPassphrase } from "./passphrase.js";
export * from "./primitives.js";
export { dataDirWritableByOthers } from "./data-dir-modes.js";
export { keyringMissing, type KeyringOpenOptions } from "./keyring-create.js";
