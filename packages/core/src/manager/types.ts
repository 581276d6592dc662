/** What SecretManager takes and answers besides values: write options, change events, listings. */
import type { TenantId } from "../names.js";
import type { SecretHead } from "../provider.js";
import { META, labelsOf, revisionOf } from "./metadata.js";

export interface SetOptions {
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Take over an unmanaged secret at this name (`polyvault adopt --confirm`). */
  readonly adopt?: boolean | undefined;
}

export interface ChangeEvent {
  readonly tenant: TenantId;
  readonly name: string;
  readonly kind: "set" | "delete";
  readonly revision?: number | undefined;
}

export interface SecretListing {
  readonly name: string;
  readonly version: number | undefined;
  readonly updatedAt: Date | undefined;
  readonly managed: boolean;
  readonly labels: Record<string, string>;
  readonly keyVersion: number | undefined;
}

export interface VersionListing {
  readonly version: number;
  readonly providerVersion: string;
  readonly createdAt: Date | undefined;
  readonly current: boolean;
  readonly keyVersion: number;
}

/** A head as `secrets list` shows it (descriptive metadata: never used to accept a value). */
export function listing(h: SecretHead): SecretListing {
  const kv = h.metadata[META.keyVersion];
  return {
    name: h.name,
    version: h.managed ? revisionOf(h.metadata) : undefined,
    updatedAt: h.updatedAt,
    managed: h.managed,
    labels: labelsOf(h.metadata),
    keyVersion: kv === undefined ? undefined : Number(kv),
  };
}
