/**
 * The read path of SecretManager: the primary first, then — only when the primary is unavailable — the
 * mirrors in order. A mirror's copy is served only as its authenticated sync record vouches for it
 * (mirror-check.ts), and every value is opened here, so nothing a provider controls decides what a read
 * returns. A given version is found through ciphertext headers, without decrypting.
 */
import { type Keyring, parseHeader } from "../crypto/index.js";
import { NotFoundError, isPolyvaultError } from "../errors.js";
import type { TenantId } from "../names.js";
import type { Provider, StoredSecret } from "../provider.js";
import { type EncryptionMode, labelsOf } from "./metadata.js";
import type { SecurityMetrics } from "./metrics.js";
import { type MirrorRecordLookup, type VerifiedDigests, checkedMirrorValue } from "./mirror-check.js";
import { SecretValue } from "./secret-value.js";
import { openStored } from "./stored.js";
import type { VersionListing } from "./types.js";

/** A mirror and how configuration says it stores values (a bare Provider is an `envelope` mirror). */
export interface MirrorStore {
  readonly provider: Provider;
  readonly encryption: EncryptionMode;
}

/** What a read needs from its manager. */
export interface ReadPath {
  readonly tenant: TenantId;
  readonly keyring: Keyring;
  /** The name reads from the primary are served by. */
  readonly primaryName: string;
  /** The primary as used for reads that can fail over (see SecretManagerOptions.readPrimary). */
  readonly readPrimary: Provider;
  readonly mirrors: readonly MirrorStore[];
  readonly mirrorRecord: MirrorRecordLookup | undefined;
  /** True while the primary refuses at once (SecretManagerOptions.readPrimaryRefusing). */
  readonly primaryRefusing?: (() => boolean) | undefined;
  /** Digests of mirror envelopes already opened and checked (mirror-check.ts). */
  readonly verifiedDigests?: VerifiedDigests | undefined;
  readonly metrics: SecurityMetrics;
}

/** The value of `name` (its current version, or `version`); `served` learns which store answered before it is opened. */
export async function readSecret(path: ReadPath, name: string, version: number | undefined, served: (by: string) => void): Promise<SecretValue> {
  const { stored, servedBy, stale, encryption, checked } = await readWithFailover(path, name, version);
  served(servedBy);
  if (stale) path.metrics.failoverReads++;
  const { updatedAt } = stored;
  if (checked) {
    stored.value.fill(0);
    const { revision, keyVersion } = checked;
    return new SecretValue(
      { tenant: path.tenant, name, version: revision, servedBy, stale, updatedAt, labels: labelsOf(stored.metadata), keyVersion },
      checked.plaintext,
    );
  }
  try {
    const opened = openStored(path.keyring, { tenant: path.tenant, name, encryption, expectedRevision: version }, stored);
    if (encryption === "envelope") path.metrics.decryptionOperations++;
    const { revision, keyVersion } = opened;
    return new SecretValue(
      { tenant: path.tenant, name, version: revision, servedBy, stale, updatedAt, labels: labelsOf(stored.metadata), keyVersion },
      opened.plaintext,
    );
  } finally {
    stored.value.fill(0);
  }
}

interface Served {
  stored: StoredSecret;
  servedBy: string;
  stale: boolean;
  encryption: EncryptionMode;
  checked?: ReturnType<typeof checkedMirrorValue>;
}

async function readWithFailover(path: ReadPath, name: string, version: number | undefined): Promise<Served> {
  // A given version is found through ciphertext headers: only envelope mirrors can serve it.
  const mirrors = version === undefined ? path.mirrors : path.mirrors.filter((m) => m.encryption === "envelope");
  // The primary's breaker is open: it would refuse at once, so the mirrors are asked without it. With no
  // mirror that could answer, it is called, so that its refusal is what the caller gets.
  if (mirrors.length > 0 && path.primaryRefusing?.() === true) return readMirrors(path, mirrors, name, version);
  try {
    // The primary always holds envelopes: SecretManager writes nothing else.
    return { stored: await readFrom(path.readPrimary, path.tenant, name, version), servedBy: path.primaryName, stale: false, encryption: "envelope" };
  } catch (err) {
    // NotFound at a reachable primary is NotFound: only an unreachable primary fails over.
    if (!isPolyvaultError(err) || !err.retryable || mirrors.length === 0) throw err;
    return readMirrors(path, mirrors, name, version);
  }
}

/** The first mirror, in order, that serves the read; else the last mirror's error. */
async function readMirrors(path: ReadPath, mirrors: readonly MirrorStore[], name: string, version: number | undefined): Promise<Served> {
  let last: unknown;
  for (const mirror of mirrors) {
    try {
      return await readMirror(path, mirror, name, version);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

async function readMirror(path: ReadPath, mirror: MirrorStore, name: string, version: number | undefined): Promise<Served> {
  const stored = await readFrom(mirror.provider, path.tenant, name, version);
  const servedBy = mirror.provider.name;
  if (!path.mirrorRecord) return { stored, servedBy, stale: true, encryption: mirror.encryption };
  try {
    const ctx = { tenant: path.tenant, name, mirror: servedBy, wanted: version };
    const record = await path.mirrorRecord(servedBy, name);
    const checked = checkedMirrorValue(path.keyring, ctx, stored, record, path.verifiedDigests);
    return { stored, servedBy, stale: true, encryption: mirror.encryption, checked };
  } catch (e) {
    stored.value.fill(0);
    throw e;
  }
}

async function readFrom(provider: Provider, tenant: TenantId, name: string, version: number | undefined): Promise<StoredSecret> {
  if (version === undefined) return provider.get(tenant, name);
  const match = (await versionsOf(provider, tenant, name)).find((v) => v.version === version);
  if (!match) throw new NotFoundError(`version ${version} of secret ${JSON.stringify(name)} not found in tenant ${tenant}`);
  return provider.get(tenant, name, { version: match.providerVersion });
}

/** Provider versions with their Polyvault revisions (read from each ciphertext header: no decryption). */
export async function versionsOf(provider: Provider, tenant: TenantId, name: string): Promise<VersionListing[]> {
  const out: VersionListing[] = [];
  const seen = new Set<number>();
  for (const v of await provider.versions(tenant, name)) {
    const stored = await provider.get(tenant, name, { version: v.version });
    const header = parseHeader(stored.value);
    stored.value.fill(0);
    // A rewrap on an immutable-version provider leaves two versions with one revision: keep the newest.
    if (seen.has(header.revision)) continue;
    seen.add(header.revision);
    out.push({ version: header.revision, providerVersion: v.version, createdAt: v.createdAt, current: v.current, keyVersion: header.keyVersion });
  }
  return out;
}
