/**
 * @polyvault/provider-azure: Azure Key Vault secrets (@azure/keyvault-secrets + @azure/identity).
 * See docs/providers/azure.md for the name mapping, value encoding, soft delete and error mapping.
 */
import type { CommonProviderOptions, Provider } from "@polyvault/core";
import type { AzureCredentialOption, AzureTlsOptions, ClientSettings } from "./client.js";
import { AzureKeyVaultProvider } from "./provider.js";

export type { AzureCredentialOption, AzureTlsOptions } from "./client.js";
export { AZURE_NAME_MAX, AZURE_NAME_RULE, type AzureNameCodec, createAzureNameCodec, decodePart, encodePart } from "./names.js";
export { AZURE_VALUE_MAX_CHARS, BYTES_CONTENT_TYPE, MAX_VALUE_BYTES, TEXT_CONTENT_TYPE, decodeValue, encodeValue } from "./values.js";
export { mapAzureError } from "./errors.js";

export interface AzureProviderOptions extends CommonProviderOptions {
  /** The vault, e.g. https://myvault.vault.azure.net (the emulator: https://localhost:8443). */
  readonly vaultUrl: string;
  /** Omitted or `{ kind: "default" }`: DefaultAzureCredential. `{ kind: "static", token }`: the emulator. */
  readonly credential?: AzureCredentialOption | undefined;
  /** TLS for this client only (e.g. the emulator's self-signed certificate). */
  readonly tls?: AzureTlsOptions | undefined;
  /** Skip the check that the auth challenge's resource matches the vault's domain (needed on localhost). */
  readonly disableChallengeResourceVerification?: boolean | undefined;
  /** Key Vault API version; the SDK's latest by default. */
  readonly serviceVersion?: ClientSettings["serviceVersion"] | undefined;
  /** Most reads getMany() runs at once (default 8). */
  readonly getManyConcurrency?: number | undefined;
  /** Poll interval for Key Vault's long-running delete and recover (default 250 ms). */
  readonly pollIntervalMs?: number | undefined;
}

/** The SDK client is created on first use, once. */
export function createAzureProvider(options: AzureProviderOptions): Provider {
  return new AzureKeyVaultProvider(options);
}
