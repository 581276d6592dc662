/**
 * Key rewrap: re-encrypt every stored version of a tenant's secrets under the newest key version.
 * Idempotent (versions already on the newest key are skipped), so an interrupted run is resumed by
 * running it again; each rewrite is atomic in the provider, so nothing is lost at any point.
 */
import { type Keyring, open, parseHeader, seal } from "../crypto/index.js";
import { NotFoundError } from "../errors.js";
import type { TenantId } from "../names.js";
import { type Provider, listAll } from "../provider.js";
import { META } from "./metadata.js";

export interface RewrapProgress {
  readonly tenant: TenantId;
  readonly secretsDone: number;
  readonly secretsTotal: number;
}

export interface RewrapResult {
  readonly tenant: TenantId;
  readonly secrets: number;
  readonly versionsRewrapped: number;
  readonly versionsAlreadyCurrent: number;
  /** Old versions an immutable-version provider keeps under the old key (see docs/security-model.md). */
  readonly versionsLeftImmutable: number;
}

export async function rewrapTenant(options: {
  tenant: TenantId;
  keyring: Keyring;
  provider: Provider;
  onProgress?: ((p: RewrapProgress) => void) | undefined;
}): Promise<RewrapResult> {
  const { tenant, keyring, provider } = options;
  const target = keyring.current;
  const names: string[] = [];
  for await (const h of listAll(provider, tenant)) if (h.managed) names.push(h.name);
  let rewrapped = 0;
  let current = 0;
  let left = 0;
  for (const [i, name] of names.entries()) {
    let versions: Awaited<ReturnType<Provider["versions"]>>;
    try {
      versions = await provider.versions(tenant, name);
    } catch (err) {
      if (err instanceof NotFoundError) continue; // deleted meanwhile
      throw err;
    }
    for (const v of versions) {
      const stored = await provider.get(tenant, name, { version: v.version });
      try {
        const header = parseHeader(stored.value);
        if (header.keyVersion === target) {
          current++;
          continue;
        }
        if (!provider.rewriteVersion && !v.current) {
          left++;
          continue;
        }
        const opened = open(keyring, { tenant, name, expectedRevision: header.revision }, stored.value);
        const resealed = seal(keyring, { tenant, name, revision: opened.revision }, opened.plaintext);
        opened.plaintext.fill(0);
        const metadata = { ...stored.metadata, [META.keyVersion]: String(target) };
        if (provider.rewriteVersion) await provider.rewriteVersion(tenant, name, v.version, resealed, { metadata });
        else await provider.put(tenant, name, resealed, { metadata, ifVersion: v.version });
        rewrapped++;
      } finally {
        stored.value.fill(0);
      }
    }
    options.onProgress?.({ tenant, secretsDone: i + 1, secretsTotal: names.length });
  }
  return { tenant, secrets: names.length, versionsRewrapped: rewrapped, versionsAlreadyCurrent: current, versionsLeftImmutable: left };
}

/** How many stored versions each key version protects in one tenant (reads headers, decrypts nothing). */
export async function keyUsage(tenant: TenantId, provider: Provider): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for await (const h of listAll(provider, tenant)) {
    if (!h.managed) continue;
    for (const v of await provider.versions(tenant, h.name)) {
      const stored = await provider.get(tenant, h.name, { version: v.version });
      const { keyVersion } = parseHeader(stored.value);
      stored.value.fill(0);
      counts.set(keyVersion, (counts.get(keyVersion) ?? 0) + 1);
    }
  }
  return counts;
}
