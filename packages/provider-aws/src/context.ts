/**
 * What the read and write halves of the provider share: the lazily created client, the name codec,
 * one Operation (deadline + retries) per provider call, and the conversions from AWS shapes to heads.
 */
import {
  DescribeSecretCommand,
  type DescribeSecretResponse,
  type GetSecretValueResponse,
  SecretsManagerClient,
  type Tag,
} from "@aws-sdk/client-secrets-manager";
import { InvalidInputError, NotFoundError, type RetryPolicy, type SecretHead, type TenantId } from "@polyvault/core";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsConfig } from "./descriptor.js";
import type { AwsNameCodec } from "./names.js";
import { replaceSdkNodeWarning } from "./node-warning.js";
import { Operation } from "./retry.js";
import { isOwned, metadataFor, tagMap } from "./tags.js";

/** The client's part of the configuration (declared once, in descriptor.ts). */
export type AwsClientOptions = Pick<AwsConfig, "region" | "endpoint" | "credentials">;

export class AwsContext {
  private client: SecretsManagerClient | undefined;

  constructor(
    readonly providerName: string,
    readonly codec: AwsNameCodec,
    private readonly clientOptions: AwsClientOptions,
    private readonly policy: RetryPolicy,
  ) {}

  sm(): SecretsManagerClient {
    const { region, endpoint, credentials } = this.clientOptions;
    if (!this.client) replaceSdkNodeWarning();
    this.client ??= new SecretsManagerClient({
      region,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(credentials === undefined ? {} : { credentials: staticCredentials(credentials) }),
      maxAttempts: 1, // retries are core's engine (retry.ts), so that only Throttled/Unavailable are retried
      requestHandler: new NodeHttpHandler({
        connectionTimeout: this.policy.timeoutMs,
        requestTimeout: this.policy.timeoutMs,
        throwOnRequestTimeout: true,
      }),
    });
    return this.client;
  }

  close(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  op(): Operation {
    return new Operation(this.policy, this.providerName);
  }

  /** The native name, or InvalidInputError before any call. */
  native(tenant: TenantId, name: string): string {
    const check = this.codec.encode(tenant, name);
    if (!check.ok) {
      const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
      throw new InvalidInputError(`${this.providerName}: cannot hold ${shown} for tenant ${JSON.stringify(tenant)}: ${check.reason}`, {
        provider: this.providerName,
      });
    }
    return check.nativeName;
  }

  /** DescribeSecret, or undefined when AWS has no such secret (secrets pending deletion are returned). */
  async describe(op: Operation, nativeName: string, what: string): Promise<DescribeSecretResponse | undefined> {
    try {
      return await op.call(what, (abortSignal) => this.sm().send(new DescribeSecretCommand({ SecretId: nativeName }), { abortSignal }));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The head of a live secret; NotFoundError when it is absent, pending deletion or has no value. */
  async head(op: Operation, tenant: TenantId, name: string, what: string): Promise<SecretHead> {
    const d = await this.describe(op, this.native(tenant, name), what);
    const head = d && !d.DeletedDate ? toHead(name, tenant, d.Tags, d.VersionIdsToStages, d.LastChangedDate) : undefined;
    if (!head) throw new NotFoundError(`${what}: not found`, { provider: this.providerName });
    return head;
  }
}

function staticCredentials(c: NonNullable<AwsClientOptions["credentials"]>) {
  const { accessKeyId, secretAccessKey, sessionToken } = c;
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

export function currentVersion(stages: Record<string, string[]> | undefined): string | undefined {
  return Object.entries(stages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
}

/** A head from a secret's tags and stages; undefined when no version is current (a secret with no value). */
export function toHead(
  name: string,
  tenant: TenantId,
  tags: Tag[] | undefined,
  stages: Record<string, string[]> | undefined,
  updatedAt: Date | undefined,
): SecretHead | undefined {
  const version = currentVersion(stages);
  if (version === undefined) return undefined;
  const t = tagMap(tags);
  const managed = isOwned(t, tenant, name);
  return { name, version, updatedAt, managed, metadata: managed ? metadataFor(t, version) : {} };
}

/** The stored bytes of a GetSecretValue/BatchGetSecretValue answer (copied; the SDK's array is zeroed). */
export function storedValueOf(v: Pick<GetSecretValueResponse, "SecretBinary" | "SecretString">): Buffer | undefined {
  if (v.SecretBinary !== undefined) {
    const copy = Buffer.from(v.SecretBinary);
    v.SecretBinary.fill(0);
    return copy;
  }
  // Secrets written by other tools usually hold text: return its UTF-8 bytes.
  return v.SecretString === undefined ? undefined : Buffer.from(v.SecretString, "utf8");
}
