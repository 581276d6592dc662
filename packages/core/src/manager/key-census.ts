/**
 * Which key versions one store still needs, from every stored version that opens (the tag is checked:
 * a record that does not authenticate protects nothing and is counted apart, with the reason).
 *
 * - `needed`: versions that become unreadable, and are not held readable elsewhere in the store, if
 *   their key version is retired. In a tenant's primary (`scope: "all"`) that is every version, except a
 *   copy of a revision that the store also holds under another key (the old version an immutable-version
 *   provider keeps after a rewrap). In a mirror or route store (`scope: "current"`) it is the current
 *   version: that copy is the one failover reads and disaster recovery use.
 * - `shreddable`: versions that retiring their key makes unreadable for good, by design (crypto-shredding:
 *   the superseded copies above, and a mirror's older versions).
 * - `unreadable`: records that could not be opened (tampered, moved, under a retired key), each named.
 *
 * Only IntegrityError makes a record unreadable; any other failure (a provider down) is thrown, so a count
 * that could not be made is never taken for zero.
 */
import { type Keyring, open, parseHeader } from "../crypto/index.js";
import { IntegrityError, NotFoundError } from "../errors.js";
import type { TenantId } from "../names.js";
import { type Provider, type VersionInfo, listAll } from "../provider.js";

export interface UnreadableRecord {
  readonly tenant: string;
  readonly provider: string;
  readonly name: string;
  /** The provider's version id, when known. */
  readonly version?: string | undefined;
  /** The key version the ciphertext header names, when it could be parsed (not authenticated). */
  readonly keyVersion?: number | undefined;
  readonly reason: string;
}

export interface KeyCensus {
  readonly needed: Map<number, number>;
  readonly shreddable: Map<number, number>;
  readonly unreadable: UnreadableRecord[];
}

export type CensusScope = "all" | "current";

const bump = (m: Map<number, number>, k: number): void => void m.set(k, (m.get(k) ?? 0) + 1);

/** The key version a ciphertext header names, without authenticating it (for naming damage only). */
export function claimedKeyVersion(value: Uint8Array): number | undefined {
  try {
    return parseHeader(value).keyVersion;
  } catch {
    return undefined;
  }
}

interface Copy {
  readonly version: VersionInfo;
  readonly revision: number;
  readonly keyVersion: number;
}

/** Opens every version of one secret: the readable copies, and the unreadable records. */
async function copiesOf(keyring: Keyring, tenant: TenantId, provider: Provider, name: string, out: UnreadableRecord[]): Promise<Copy[]> {
  const record = (err: IntegrityError, version?: string, keyVersion?: number): void =>
    void out.push({ tenant, provider: provider.name, name, version, keyVersion, reason: err.message });
  let versions: VersionInfo[];
  try {
    versions = await provider.versions(tenant, name);
  } catch (err) {
    if (err instanceof NotFoundError) return []; // deleted meanwhile
    if (!(err instanceof IntegrityError)) throw err;
    record(err);
    return [];
  }
  const copies: Copy[] = [];
  for (const v of versions) {
    let value: Buffer | undefined;
    try {
      value = (await provider.get(tenant, name, { version: v.version })).value;
      const opened = open(keyring, { tenant, name }, value);
      opened.plaintext.fill(0);
      copies.push({ version: v, revision: opened.revision, keyVersion: opened.keyVersion });
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      if (!(err instanceof IntegrityError)) throw err;
      record(err, v.version, value && claimedKeyVersion(value));
    } finally {
      value?.fill(0);
    }
  }
  return copies;
}

/** The census of one tenant in one store (see the file comment). */
export async function keyCensus(options: { tenant: TenantId; keyring: Keyring; provider: Provider; scope: CensusScope }): Promise<KeyCensus> {
  const { tenant, keyring, provider, scope } = options;
  const census: KeyCensus = { needed: new Map(), shreddable: new Map(), unreadable: [] };
  for await (const h of listAll(provider, tenant)) {
    if (!h.managed) continue;
    const copies = await copiesOf(keyring, tenant, provider, h.name, census.unreadable);
    for (const c of copies) {
      let needed: boolean;
      if (scope === "current") needed = c.version.current;
      else {
        // The copy a read of this revision gets: the current one if it is among them, else the newest key.
        const same = copies.filter((o) => o.revision === c.revision);
        const keep = same.find((o) => o.version.current) ?? same.reduce((a, b) => (b.keyVersion > a.keyVersion ? b : a));
        needed = keep === c || keep.keyVersion === c.keyVersion;
      }
      bump(needed ? census.needed : census.shreddable, c.keyVersion);
    }
  }
  return census;
}
