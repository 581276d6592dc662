/**
 * @polyvault/provider-azure: Azure Key Vault secrets (@azure/keyvault-secrets + @azure/identity).
 * See docs/providers/azure.md for the name mapping, value encoding, soft delete and error mapping.
 */
import type { Provider, ProviderOptionsOf } from "@polyvault/core";
import type { AzureTlsOptions, ClientSettings } from "./client.js";
import type { AzureConfig } from "./descriptor.js";
import { AzureKeyVaultProvider } from "./provider.js";

export type { AzureCredentialOption, AzureTlsOptions } from "./client.js";
export { AZURE_NAME_MAX, AZURE_NAME_RULE, type AzureNameCodec, createAzureNameCodec, decodePart, encodePart } from "./names.js";
export { AZURE_VALUE_MAX_CHARS, BYTES_CONTENT_TYPE, MAX_VALUE_BYTES, TEXT_CONTENT_TYPE, decodeValue, encodeValue } from "./values.js";
export { mapAzureError } from "./errors.js";

/** The configured options (descriptor.ts, declared once there), the common ones, and library-only extras. */
export type AzureProviderOptions = Omit<ProviderOptionsOf<AzureConfig>, "tls"> & {
  /** TLS for this client only (e.g. the emulator's self-signed certificate); `ca` from code only. */
  readonly tls?: AzureTlsOptions | undefined;
  /** Key Vault API version; the SDK's latest by default. */
  readonly serviceVersion?: ClientSettings["serviceVersion"] | undefined;
  /** Most reads getMany() runs at once (default 8). */
  readonly getManyConcurrency?: number | undefined;
  /** Poll interval for Key Vault's long-running delete and recover (default 250 ms). */
  readonly pollIntervalMs?: number | undefined;
};

/** The SDK client is created on first use, once. */
export function createAzureProvider(options: AzureProviderOptions): Provider {
  return new AzureKeyVaultProvider(options);
}
