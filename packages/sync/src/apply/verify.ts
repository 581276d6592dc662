/**
 * What the applier checks before it trusts bytes: a source value is copied only if it is an envelope
 * for this tenant, name and the revision its metadata claims, whose HMAC digest is the one its metadata
 * claims; a target copy is recorded as in sync only if it holds exactly that value (read back and checked).
 * None of these checks uses a key an attacker of one provider holds, and none trusts a provider's tags.
 */
import { IntegrityError, type Keyring, META, type StoredSecret, type TenantId, digest, open } from "@polyvault/core";
import type { EncryptionMode, PlanAction } from "../plan/types.js";

const where = (a: PlanAction) => `${a.name} of tenant ${a.tenant}`;

/** The bytes and metadata to write to the target: the envelope as-is, or (native) the value decrypted. */
export function prepare(stored: StoredSecret, a: PlanAction, keyring: Keyring): { value: Buffer; metadata: Record<string, string>; revision: number } {
  const metadata: Record<string, string> = {};
  // Only Polyvault's own value metadata travels; each provider writes its ownership markers itself.
  for (const k of Object.values(META)) {
    const v = stored.metadata[k];
    if (v !== undefined) metadata[k] = v;
  }
  delete metadata[META.encryption];
  const revision = Number(stored.metadata[META.revision] ?? Number.NaN);
  const source = `source value of ${where(a)}`;
  if (!Number.isInteger(revision) || revision < 1) throw new IntegrityError(`${source} has no valid revision in its metadata: not copied`);
  let opened: ReturnType<typeof open>;
  try {
    opened = open(keyring, { tenant: a.tenant, name: a.name, expectedRevision: revision }, stored.value);
  } catch (err) {
    throw new IntegrityError(`${source} is not a Polyvault envelope for this tenant, name and revision ${revision}: not copied (${(err as Error).message})`);
  }
  // Its own metadata's digest, not necessarily the plan's: a write racing the plan may have moved the
  // source on, and the newer value is as authentic (the record keeps what was actually copied).
  const d = digest(keyring, a.tenant, a.name, opened.plaintext);
  if (d !== stored.metadata[META.digest]) {
    opened.plaintext.fill(0);
    throw new IntegrityError(`${source} does not match the digest in its metadata: not copied`);
  }
  if (a.encryption === "envelope") {
    opened.plaintext.fill(0);
    return { value: stored.value, metadata: { ...metadata, [META.encryption]: "envelope" }, revision };
  }
  return { value: opened.plaintext, metadata: { ...metadata, [META.encryption]: "native" }, revision };
}

/** True when a target's copy holds the source's value at the source's revision (the plan's digest). */
export function holdsSourceValue(keyring: Keyring, a: PlanAction, encryption: EncryptionMode, stored: StoredSecret): boolean {
  if (!a.sourceDigest) return false;
  let plaintext: Buffer | undefined;
  try {
    if (encryption === "native") plaintext = Buffer.from(stored.value);
    else plaintext = open(keyring, { tenant: a.tenant as TenantId, name: a.name, expectedRevision: a.sourceRevision }, stored.value).plaintext;
    return digest(keyring, a.tenant, a.name, plaintext) === a.sourceDigest;
  } catch {
    return false;
  } finally {
    plaintext?.fill(0);
  }
}

/**
 * The revision of an envelope target's copy, when it is an envelope for this tenant and name (the
 * revision is authenticated: part of what the envelope seals). Only Polyvault, holding the tenant's key,
 * makes one; an edit made out of band cannot. Native copies carry no authenticated revision: undefined.
 */
export function sealedRevision(keyring: Keyring, a: PlanAction, encryption: EncryptionMode, stored: StoredSecret): number | undefined {
  if (encryption !== "envelope") return undefined;
  try {
    const { plaintext, revision } = open(keyring, { tenant: a.tenant as TenantId, name: a.name }, stored.value);
    plaintext.fill(0);
    return revision;
  } catch {
    return undefined;
  }
}
