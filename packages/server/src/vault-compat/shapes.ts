/**
 * Vault's response envelope and the KV v2 bodies, built from what SecretManager returns. The mapping
 * (docs/gateway.md, "Vault-compatible reads"): a Polyvault secret is one KV v2 secret whose data holds
 * one key, `value` (the value as UTF-8 text) or, when the bytes are not valid UTF-8, `value_base64`;
 * Polyvault's revision is the KV version; labels are `custom_metadata` (null when there are none, as
 * Vault writes it); nothing is ever deleted or destroyed as far as a Vault client can see.
 */
import type { SecretListing, VersionListing } from "@polyvault/core";

/** Vault's response envelope around `data`. */
export function envelope(requestId: string, data: unknown, warnings: readonly string[] = []): Record<string, unknown> {
  return {
    request_id: requestId,
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: warnings.length ? warnings : null,
    auth: null,
    mount_type: "kv",
  };
}

export const time = (d: Date | undefined): string => d?.toISOString() ?? "";
export const customMetadata = (labels: Readonly<Record<string, string>>): Record<string, string> | null => (Object.keys(labels).length ? { ...labels } : null);

/** `sys/internal/ui/mounts/<tenant>/…`: the mount a Vault client asks about before a KV call. */
export function mountData(tenant: string): Record<string, unknown> {
  return {
    accessor: `kv_polyvault_${tenant}`,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    deprecation_status: "supported",
    description: `Polyvault tenant ${tenant} (read-only KV v2 view)`,
    external_entropy_access: false,
    local: false,
    options: { version: "2" },
    path: `${tenant}/`,
    plugin_version: "",
    running_plugin_version: "",
    running_sha256: "",
    seal_wrap: false,
    type: "kv",
    uuid: "",
  };
}

/** `metadata/<name>`: versions (by Polyvault revision), current and oldest version, times, labels. */
export function metadataData(versions: readonly VersionListing[], labels: Readonly<Record<string, string>>): Record<string, unknown> {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const current = sorted.find((v) => v.current) ?? sorted[sorted.length - 1];
  const byVersion: Record<string, unknown> = {};
  for (const v of sorted) byVersion[String(v.version)] = { created_time: time(v.createdAt), deletion_time: "", destroyed: false };
  return {
    cas_required: false,
    created_time: time(sorted[0]?.createdAt),
    current_version: current?.version ?? 0,
    custom_metadata: customMetadata(labels),
    delete_version_after: "0s",
    max_versions: 0,
    oldest_version: sorted[0]?.version ?? 0,
    updated_time: time(current?.createdAt),
    versions: byVersion,
  };
}

/** LIST `metadata/<prefix>`: the names directly under the prefix, folders ending in `/`, sorted. */
export function listKeys(secrets: readonly Pick<SecretListing, "name">[], prefix: string): string[] {
  const keys = new Set<string>();
  for (const { name } of secrets) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const slash = rest.indexOf("/");
    keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  keys.delete("");
  return [...keys].sort();
}
