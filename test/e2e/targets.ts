// One tenant per cloud provider, each the primary of its own tenant in one polyvault.yaml, with the raw
// store that reads and writes the same server behind Polyvault's back.
import type { Provider, TenantId } from "@polyvault/core";
import { createAwsProvider } from "@polyvault/provider-aws";
import { createAzureProvider } from "@polyvault/provider-azure";
import { createVaultProvider } from "@polyvault/provider-vault";
import { aws, awsYaml, azure, azureYaml, unavailable, vault, vaultYaml } from "./endpoints.js";
import { type RawStore, awsRaw, azureRaw, vaultRaw } from "./raw-stores.js";

export type ProviderType = "aws" | "vault" | "azure";

export interface Target {
  readonly provider: ProviderType;
  readonly endpoint: string;
  readonly tenant: string;
  /** Why the suite cannot run against this provider here (its server cannot be installed), if so. */
  readonly notRun: string | undefined;
  /** Largest value Polyvault accepts for this provider, before its own encryption overhead. */
  readonly maxValueBytes: number;
  /** Where Polyvault would put (tenant, name): the name the raw store uses. */
  nativeName(name: string): string;
  raw(): RawStore;
}

function target(provider: ProviderType, tenant: string, endpoint: string, namer: Provider, raw: () => RawStore): Target {
  let store: RawStore | undefined;
  return {
    provider,
    endpoint,
    tenant,
    notRun: unavailable(provider),
    maxValueBytes: namer.capabilities.maxValueBytes,
    nativeName(name) {
      const fit = namer.nameFits(tenant as TenantId, name);
      if (!fit.ok) throw new Error(`${provider}: ${name} does not fit: ${fit.reason}`);
      return fit.nativeName;
    },
    raw: () => {
      store ??= raw();
      return store;
    },
  };
}

/** The default prefix ("polyvault") on purpose: the raw secrets sit exactly where Polyvault puts its own. */
export function makeTargets(run: string): Target[] {
  // Built only for nameFits(), which never calls a server.
  const awsNames = createAwsProvider({ name: "aws", region: aws.region });
  const vaultNames = createVaultProvider({ name: "vault", address: vault.address, token: "names-only" });
  const azureNames = createAzureProvider({ name: "azure", vaultUrl: azure.vaultUrl });
  return [
    target("aws", `${run}-aws`, aws.endpoint, awsNames, () => awsRaw(aws)),
    target("vault", `${run}-vault`, vault.address, vaultNames, () => vaultRaw(vault)),
    target("azure", `${run}-azure`, azure.vaultUrl, azureNames, () => azureRaw(azure)),
  ];
}

/** polyvault.yaml as docs/configuration.md writes it: one provider per server, each the primary of one tenant. */
export function configFor(targets: readonly Target[]): string {
  const block = { aws: awsYaml(), vault: vaultYaml(), azure: azureYaml() };
  return [
    "providers:",
    ...targets.map((t) => `  ${t.provider}: ${block[t.provider]}`),
    "tenants:",
    ...targets.map((t) => `  ${t.tenant}: { primary: ${t.provider} }`),
    "",
  ].join("\n");
}
