// "Something else" writing to each provider: the official SDK (AWS, Azure) or Vault's HTTP API, with no
// Polyvault involved. Used to plant secrets Polyvault did not create and to read back exactly what the
// server holds, so a test can check that no Polyvault command changed them.
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretClient } from "@azure/keyvault-secrets";
import type { AwsEnv, AzureEnv, VaultEnv } from "./endpoints.js";

/** Everything a Polyvault command could change about a secret. */
export interface RawSnapshot {
  readonly value: string;
  readonly version: string;
  readonly versionCount: number;
  readonly deleted: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export interface RawStore {
  write(native: string, value: string, tags?: Record<string, string>): Promise<void>;
  /** undefined when the name does not exist at all. */
  read(native: string): Promise<RawSnapshot | undefined>;
  /** Removes it for good (test clean-up). */
  remove(native: string): Promise<void>;
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

export function awsRaw(env: AwsEnv): RawStore {
  const client = new SecretsManagerClient({
    region: env.region,
    ...(env.endpoint ? { endpoint: env.endpoint } : {}),
    ...(env.credentials ? { credentials: env.credentials } : {}),
  });
  return {
    async write(native, value, tags) {
      const Tags = tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
      await client.send(new CreateSecretCommand({ Name: native, SecretString: value, ...(Tags ? { Tags } : {}) }));
    },
    async read(native) {
      const d = await client.send(new DescribeSecretCommand({ SecretId: native })).catch((err: Error) => {
        if (err.name === "ResourceNotFoundException") return undefined;
        throw err;
      });
      if (!d) return undefined;
      const stages = d.VersionIdsToStages ?? {};
      const current = Object.entries(stages).find(([, s]) => s.includes("AWSCURRENT"))?.[0] ?? "";
      const deleted = d.DeletedDate !== undefined;
      const value = deleted ? "" : ((await client.send(new GetSecretValueCommand({ SecretId: native }))).SecretString ?? "");
      return {
        value,
        version: current,
        versionCount: Object.keys(stages).length,
        deleted,
        tags: Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
      };
    },
    async remove(native) {
      await client.send(new DeleteSecretCommand({ SecretId: native, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    },
  };
}

interface VaultVersion {
  deletion_time: string;
  destroyed: boolean;
}
interface VaultBody {
  data?: { current_version?: number; versions?: Record<string, VaultVersion>; custom_metadata?: Record<string, string> | null; data?: { value?: string } };
}

export function vaultRaw(env: VaultEnv): RawStore {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: VaultBody }> => {
    const res = await fetch(`${env.address}/v1/${env.mount}/${path}`, {
      method,
      headers: { "x-vault-token": env.token, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as VaultBody) : {} };
  };
  return {
    async write(native, value, tags) {
      const w = await call("POST", `data/${native}`, { data: { value } });
      if (w.status !== 200) throw new Error(`vault write ${native}: ${w.status}`);
      if (tags) await call("POST", `metadata/${native}`, { custom_metadata: tags });
    },
    async read(native) {
      const m = await call("GET", `metadata/${native}`);
      if (m.status === 404) return undefined;
      const current = String(m.json.data?.current_version);
      const versions = m.json.data?.versions ?? {};
      const v = versions[current];
      const deleted = !v || v.destroyed || v.deletion_time !== "";
      const value = deleted ? "" : ((await call("GET", `data/${native}`)).json.data?.data?.value ?? "");
      return { value, version: current, versionCount: Object.keys(versions).length, deleted, tags: m.json.data?.custom_metadata ?? {} };
    },
    async remove(native) {
      await call("DELETE", `metadata/${native}`);
    },
  };
}

export function azureRaw(env: AzureEnv): RawStore {
  const client = new SecretClient(env.vaultUrl, env.credential(), env.clientOptions);
  const exists = async (native: string) => {
    try {
      return await client.getSecret(native);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  };
  return {
    async write(native, value, tags) {
      await client.setSecret(native, value, tags ? { tags } : {});
    },
    async read(native) {
      const s = await exists(native);
      if (!s) {
        const d = await client.getDeletedSecret(native).catch((err) => (statusOf(err) === 404 ? undefined : Promise.reject(err)));
        return d ? { value: "", version: d.properties.version ?? "", versionCount: 0, deleted: true, tags: d.properties.tags ?? {} } : undefined;
      }
      let versionCount = 0;
      for await (const _ of client.listPropertiesOfSecretVersions(native)) versionCount++;
      return { value: s.value ?? "", version: s.properties.version ?? "", versionCount, deleted: false, tags: s.properties.tags ?? {} };
    },
    async remove(native) {
      if (await exists(native)) await (await client.beginDeleteSecret(native)).pollUntilDone();
      await client.purgeDeletedSecret(native).catch(() => undefined);
    },
  };
}
