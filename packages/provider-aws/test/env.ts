// The emulator the tests run against (test/emulators/aws.mjs starts moto there) and raw-SDK helpers
// that write and read the way something other than Polyvault would.
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type Tag, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type AddressInfo, createServer } from "node:net";
import type { TenantId } from "@polyvault/core";
import { type AwsProviderOptions, createAwsProvider } from "../src/index.js";

export const endpoint = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** A namespace of its own per test run, so runs against a long-lived server never see each other. */
export const runPrefix = (label: string) => `pvtest-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function provider(prefix: string, extra: Partial<AwsProviderOptions> = {}) {
  return createAwsProvider({ name: "aws", region, endpoint, credentials, prefix, ...extra });
}

export const raw = new SecretsManagerClient({ region, endpoint, credentials });

export function nativeName(p: ReturnType<typeof provider>, tenant: TenantId, name: string): string {
  const r = p.nameFits(tenant, name);
  if (!r.ok) throw new Error(r.reason);
  return r.nativeName;
}

/** Write without Polyvault's markers (tags optional), creating the secret or adding a version. */
export async function rawWrite(native: string, value: Buffer, tags?: Tag[]): Promise<string> {
  try {
    const r = await raw.send(new CreateSecretCommand({ Name: native, SecretBinary: value, ...(tags ? { Tags: tags } : {}) }));
    return r.VersionId as string;
  } catch (err) {
    if ((err as Error).name !== "ResourceExistsException") throw err;
    const r = await raw.send(new PutSecretValueCommand({ SecretId: native, SecretBinary: value }));
    return r.VersionId as string;
  }
}

export async function rawRead(native: string): Promise<Buffer | undefined> {
  try {
    const r = await raw.send(new GetSecretValueCommand({ SecretId: native }));
    if (r.SecretBinary) return Buffer.from(r.SecretBinary);
    return r.SecretString === undefined ? undefined : Buffer.from(r.SecretString, "utf8");
  } catch (err) {
    const name = (err as Error).name;
    if (name === "ResourceNotFoundException") return undefined;
    if (name === "InvalidRequestException" && /deleted|deletion/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** A provider aimed at a loopback port where nothing listens (connections are refused). */
export async function unreachable(timeoutMs = 1500) {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return createAwsProvider({ name: "aws-down", region, endpoint: `http://127.0.0.1:${port}`, credentials, timeoutMs });
}
