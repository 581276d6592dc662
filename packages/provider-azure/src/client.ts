/**
 * The SecretClient and its credential. Production uses DefaultAzureCredential (environment, workload or
 * managed identity, Azure CLI…); the emulator takes any bearer token, so a static TokenCredential serves.
 * TLS settings go into this client's own https.Agent through the SDK pipeline options — never by turning
 * off certificate checks for the whole process.
 */
import { Agent } from "node:https";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { InvalidInputError } from "@polyvault/core";
import { callContextPolicy } from "./pipeline.js";

export type AzureCredentialOption = { readonly kind: "static"; readonly token: string } | { readonly kind: "default" };

export interface AzureTlsOptions {
  /** false accepts a self-signed server certificate (the emulator's); default true. */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Extra CA certificate(s) in PEM to trust instead of turning verification off. */
  readonly ca?: string | Buffer | undefined;
}

export interface ClientSettings {
  readonly vaultUrl: string;
  readonly credential?: AzureCredentialOption | undefined;
  readonly tls?: AzureTlsOptions | undefined;
  readonly disableChallengeResourceVerification?: boolean | undefined;
  readonly serviceVersion?: SecretClientOptions["serviceVersion"] | undefined;
}

/** A credential that always answers with the configured token (for the emulator). */
function staticCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
    },
  };
}

async function credentialFor(option: AzureCredentialOption | undefined): Promise<TokenCredential> {
  if (option?.kind === "static") {
    if (!option.token) throw new InvalidInputError("azure credential kind 'static' needs a non-empty token");
    return staticCredential(option.token);
  }
  // Loaded only when used: @azure/identity is large and the emulator path never needs it.
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new DefaultAzureCredential();
}

export function checkVaultUrl(vaultUrl: string): URL {
  let url: URL;
  try {
    url = new URL(vaultUrl);
  } catch {
    throw new InvalidInputError(`azure vaultUrl ${JSON.stringify(vaultUrl)} is not a URL`);
  }
  if (url.protocol !== "https:")
    throw new InvalidInputError(`azure vaultUrl ${JSON.stringify(vaultUrl)} must use https (the Key Vault SDK refuses plain HTTP)`);
  return url;
}

export interface ClientHandle {
  readonly client: SecretClient;
  readonly agent: Agent;
}

export async function createClient(settings: ClientSettings): Promise<ClientHandle> {
  checkVaultUrl(settings.vaultUrl);
  const agent = new Agent({
    keepAlive: true,
    rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true,
    ...(settings.tls?.ca !== undefined ? { ca: settings.tls.ca } : {}),
  });
  const options: SecretClientOptions = {
    agent,
    // Core's retry engine (call.ts) is the only retry loop, bounded by timeoutMs.
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [callContextPolicy],
    disableChallengeResourceVerification: settings.disableChallengeResourceVerification ?? false,
    ...(settings.serviceVersion !== undefined ? { serviceVersion: settings.serviceVersion } : {}),
  };
  return { client: new SecretClient(settings.vaultUrl, await credentialFor(settings.credential), options), agent };
}
