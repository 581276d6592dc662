// Where the provider servers are (CONTRACT.md's test servers and their POLYVAULT_TEST_* overrides), and the
// polyvault.yaml blocks that point Polyvault at them. The same variables aim the suite at real cloud
// accounts instead (docs/testing.md): POLYVAULT_TEST_AWS_CREDENTIALS=default uses the AWS SDK's credential
// chain, POLYVAULT_TEST_AZURE_CREDENTIAL=default uses DefaultAzureCredential with normal TLS checks.
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

const env = process.env;

export interface AwsEnv {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}
export interface VaultEnv {
  readonly address: string;
  readonly token: string;
  readonly mount: string;
}
export interface AzureEnv {
  readonly vaultUrl: string;
  readonly emulator: boolean;
  credential(): TokenCredential;
  readonly clientOptions: { agent?: Agent; disableChallengeResourceVerification?: boolean };
}

export const aws: AwsEnv = {
  region: env.POLYVAULT_TEST_AWS_REGION || "us-east-1",
  endpoint: env.POLYVAULT_TEST_AWS_ENDPOINT || "http://127.0.0.1:4566",
  credentials: env.POLYVAULT_TEST_AWS_CREDENTIALS === "default" ? undefined : { accessKeyId: "test", secretAccessKey: "test" },
};

export const vault: VaultEnv = {
  address: env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200",
  token: env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev",
  mount: "secret",
};

const azureEmulator = env.POLYVAULT_TEST_AZURE_CREDENTIAL !== "default";
// The project's test Key Vault makes its certificate at start-up and names the PEM file here (test/emulators/azure.mjs).
const azureCa = env.POLYVAULT_TEST_AZURE_CA ? readFileSync(env.POLYVAULT_TEST_AZURE_CA, "utf8") : undefined;
export const azure: AzureEnv = {
  vaultUrl: env.POLYVAULT_TEST_AZURE_URL || "https://localhost:8443",
  emulator: azureEmulator,
  // The test Key Vault (or a Lowkey Vault) takes any bearer token; a real vault gets DefaultAzureCredential.
  credential: () =>
    azureEmulator ? { getToken: async () => ({ token: "emulator", expiresOnTimestamp: Date.now() + 3_600_000 }) } : new DefaultAzureCredential(),
  clientOptions: azureEmulator
    ? { agent: new Agent(azureCa !== undefined ? { ca: azureCa } : { rejectUnauthorized: false }), disableChallengeResourceVerification: true }
    : {},
};

/** Set by test/run-tests.mjs when a server cannot be installed on this machine (the suite says NOT RUN). */
export const unavailable = (name: "aws" | "azure" | "vault"): string | undefined => env[`POLYVAULT_TEST_${name.toUpperCase()}_UNAVAILABLE`] || undefined;

const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

export function awsYaml(endpoint = aws.endpoint, extra = "", credentials = aws.credentials): string {
  const creds = credentials ? `, credentials: { accessKeyId: ${q(credentials.accessKeyId)}, secretAccessKey: ${q(credentials.secretAccessKey)} }` : "";
  return `{ type: aws, region: ${q(aws.region)}, endpoint: ${q(endpoint)}${creds}${extra} }`;
}

/** The token is not written into the file: `${POLYVAULT_TEST_VAULT_TOKEN}` is substituted by the CLI. */
export function vaultYaml(address = vault.address, extra = ""): string {
  return `{ type: vault, address: ${q(address)}, token: "\${POLYVAULT_TEST_VAULT_TOKEN}", mount: ${vault.mount}${extra} }`;
}

export function azureYaml(vaultUrl = azure.vaultUrl, extra = "", emulator = azure.emulator): string {
  const emu = emulator ? ", credential: { kind: static, token: emulator }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true" : "";
  return `{ type: azure, vaultUrl: ${q(vaultUrl)}${emu}${extra} }`;
}

/** What the CLI's environment needs besides PATH/HOME: the Vault token, and cloud credentials when asked for. */
export function cliEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { POLYVAULT_TEST_VAULT_TOKEN: vault.token };
  const passCloud = !aws.credentials || !azure.emulator;
  if (passCloud) for (const [k, v] of Object.entries(env)) if (/^(AWS_|AZURE_|IDENTITY_|MSI_)/.test(k)) out[k] = v;
  return out;
}
