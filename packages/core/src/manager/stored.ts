/**
 * The one place where bytes a provider returned become a value. Whether they are decrypted is decided by
 * the caller, from configuration (`encryption`: a tenant's primary is always `envelope`; only a route's
 * target can be `native`), never by the stored data: a `pv-enc` tag, a missing `pv-rev` or any other
 * metadata can make a read fail, never make it return other bytes or skip a check
 * (docs/security-model.md, "What stored metadata may decide").
 *
 * Failover readers (SecretManager, the sync engine's mirror reads) call `openStored` with what they
 * expect: the encryption, and, when they know one they trust (a state record, the source's head), the
 * revision and the keyed digest.
 */
import { timingSafeEqual } from "node:crypto";
import { digest, type Keyring, open } from "../crypto/index.js";
import { IntegrityError } from "../errors.js";
import type { StoredSecret } from "../provider.js";
import { type EncryptionMode, revisionOf } from "./metadata.js";

export interface StoredExpectation {
  readonly tenant: string;
  readonly name: string;
  /** From configuration, never from the stored metadata. */
  readonly encryption: EncryptionMode;
  /**
   * The revision the caller asked for or trusts. Absent: the stored `pv-rev`, which must then be present
   * (its absence is an IntegrityError, so removing it cannot switch the revision check off).
   */
  readonly expectedRevision?: number | undefined;
  /** A keyed value digest the caller trusts (e.g. the sync state's record): the value must match it. */
  readonly expectedDigest?: string | undefined;
}

export interface OpenedStored {
  /** The value; the caller wipes it. */
  readonly plaintext: Buffer;
  readonly revision: number;
  /** The key version that sealed it; 0 for a native value (no Polyvault key protects it). */
  readonly keyVersion: number;
  /**
   * true when the value is authenticated: an envelope that opened under this tenant's key, or a native
   * value that matched `expectedDigest`. A native value without a trusted digest is not.
   */
  readonly authenticated: boolean;
}

const where = (e: StoredExpectation): string => `${JSON.stringify(e.name)} of tenant ${e.tenant}`;

/** The revision to check against: the caller's, else the stored one (required). */
function revisionToCheck(e: StoredExpectation, stored: StoredSecret): number {
  const fromMeta = revisionOf(stored.metadata);
  if (e.expectedRevision !== undefined) return e.expectedRevision;
  if (fromMeta === undefined) throw new IntegrityError(`stored secret ${where(e)} has no revision (pv-rev) in its metadata`);
  return fromMeta;
}

function checkDigest(keyring: Keyring, e: StoredExpectation, plaintext: Buffer): void {
  if (e.expectedDigest === undefined) return;
  const got = Buffer.from(digest(keyring, e.tenant, e.name, plaintext));
  const want = Buffer.from(e.expectedDigest);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    plaintext.fill(0);
    throw new IntegrityError(`stored secret ${where(e)} does not match the digest it was expected to have`);
  }
}

/**
 * Turns a stored secret into its value as configuration says it is stored. On an `envelope` store,
 * anything that is not a valid envelope for (tenant, name, revision) is an IntegrityError. Does not wipe
 * `stored.value` (the caller owns it).
 */
export function openStored(keyring: Keyring, e: StoredExpectation, stored: StoredSecret): OpenedStored {
  const expectedRevision = revisionToCheck(e, stored);
  if (e.encryption === "envelope") {
    const opened = open(keyring, { tenant: e.tenant, name: e.name, expectedRevision }, stored.value);
    checkDigest(keyring, e, opened.plaintext);
    return { plaintext: opened.plaintext, revision: opened.revision, keyVersion: opened.keyVersion, authenticated: true };
  }
  // A native store holds the value itself: its revision is only as good as its (unauthenticated) metadata.
  const stated = revisionOf(stored.metadata);
  if (stated !== undefined && stated !== expectedRevision) {
    throw new IntegrityError(`stored secret ${where(e)} holds revision ${stated}, expected revision ${expectedRevision}`);
  }
  const plaintext = Buffer.from(stored.value);
  checkDigest(keyring, e, plaintext);
  return { plaintext, revision: expectedRevision, keyVersion: 0, authenticated: e.expectedDigest !== undefined };
}
