/**
 * Key rewrap: re-encrypt every stored version of a tenant's secrets in one store under the newest key
 * version. Idempotent (versions already on the newest key are skipped), so an interrupted run is resumed
 * by running it again; each rewrite is atomic in the provider, so nothing is lost at any point.
 *
 * A record that cannot be read (IntegrityError: tampered, moved, under a retired key) does not stop the
 * run: it is left as it is and named in `unreadable`, so one corrupted record cannot hold back key
 * rotation for every other secret (issue 15.8). Any other failure stops the run (rerun to resume).
 */
import { type Keyring, open, parseHeader, seal } from "../crypto/index.js";
import { IntegrityError, NotFoundError } from "../errors.js";
import type { TenantId } from "../names.js";
import { type Provider, listAll } from "../provider.js";
import { claimedKeyVersion, type UnreadableRecord } from "./key-census.js";
import { META } from "./metadata.js";

export interface RewrapProgress {
  readonly tenant: TenantId;
  readonly secretsDone: number;
  readonly secretsTotal: number;
}

export interface RewrapResult {
  readonly tenant: TenantId;
  /** The store rewrapped. */
  readonly provider: string;
  readonly secrets: number;
  readonly versionsRewrapped: number;
  readonly versionsAlreadyCurrent: number;
  /** Old versions an immutable-version provider keeps under the old key (see docs/security-model.md). */
  readonly versionsLeftImmutable: number;
  /** Records left as they are because they could not be read, each named. */
  readonly unreadable: UnreadableRecord[];
}

export async function rewrapTenant(options: {
  tenant: TenantId;
  keyring: Keyring;
  provider: Provider;
  onProgress?: ((p: RewrapProgress) => void) | undefined;
  /**
   * Called when re-sealing wrote a new version (providers whose versions are immutable): whoever keeps
   * records of the old version id (the sync state) moves them to the new one, so that Polyvault's own
   * rewrap is not later taken for a change made out of band.
   */
  onNewVersion?: ((name: string, oldVersion: string, newVersion: string) => Promise<void>) | undefined;
}): Promise<RewrapResult> {
  const { tenant, keyring, provider } = options;
  const target = keyring.current;
  const names: string[] = [];
  for await (const h of listAll(provider, tenant)) if (h.managed) names.push(h.name);
  let rewrapped = 0;
  let current = 0;
  let left = 0;
  const unreadable: UnreadableRecord[] = [];
  const skip = (err: unknown, name: string, version?: string, value?: Buffer): void => {
    if (!(err instanceof IntegrityError)) throw err;
    unreadable.push({ tenant, provider: provider.name, name, version, keyVersion: value && claimedKeyVersion(value), reason: err.message });
  };
  for (const [i, name] of names.entries()) {
    let versions: Awaited<ReturnType<Provider["versions"]>>;
    try {
      versions = await provider.versions(tenant, name);
    } catch (err) {
      if (err instanceof NotFoundError) continue; // deleted meanwhile
      skip(err, name);
      continue;
    }
    for (const v of versions) {
      let stored: Awaited<ReturnType<Provider["get"]>>;
      try {
        stored = await provider.get(tenant, name, { version: v.version });
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        skip(err, name, v.version);
        continue;
      }
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
        // The stored metadata is kept except the key version, which now names the new key.
        const resealed = seal(keyring, { tenant, name, revision: opened.revision }, opened.plaintext);
        opened.plaintext.fill(0);
        const metadata = { ...stored.metadata, [META.keyVersion]: String(target) };
        if (provider.rewriteVersion) await provider.rewriteVersion(tenant, name, v.version, resealed, { metadata });
        else {
          const head = await provider.put(tenant, name, resealed, { metadata, ifVersion: v.version });
          await options.onNewVersion?.(name, v.version, head.version);
        }
        rewrapped++;
      } catch (err) {
        skip(err, name, v.version, stored.value);
      } finally {
        stored.value.fill(0);
      }
    }
    options.onProgress?.({ tenant, secretsDone: i + 1, secretsTotal: names.length });
  }
  return {
    tenant,
    provider: provider.name,
    secrets: names.length,
    versionsRewrapped: rewrapped,
    versionsAlreadyCurrent: current,
    versionsLeftImmutable: left,
    unreadable,
  };
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
