/**
 * Is a write a no-op? The value and labels the caller writes are those the secret already holds.
 *
 * The HMAC digest in the head's metadata short-lists the candidates without a read (as the sync planner
 * does); but metadata is bytes the provider controls, so the decision is taken on the authenticated
 * ciphertext: the current version is read, opened (bound to tenant, name and its revision) and compared
 * in constant time. A forged digest therefore costs one read, never a lost write.
 */
import { timingSafeEqual } from "node:crypto";
import { type Keyring, digest, open } from "../crypto/index.js";
import type { TenantId } from "../names.js";
import { IntegrityError, NotFoundError } from "../errors.js";
import type { Provider, SecretHead, StoredSecret } from "../provider.js";
import { META, labelsOf, revisionOf } from "./metadata.js";

export async function isUnchanged(
  keyring: Keyring,
  provider: Provider,
  tenant: TenantId,
  name: string,
  head: SecretHead,
  value: Uint8Array,
  labels: Readonly<Record<string, string>>,
): Promise<boolean> {
  const meta = head.metadata;
  if (!head.managed || meta[META.encryption] !== "envelope") return false;
  if (meta[META.digest] !== digest(keyring, tenant, name, value)) return false;
  if (!sameLabels(labelsOf(meta), labels)) return false;
  const revision = revisionOf(meta);
  if (revision === undefined) return false;
  let stored: StoredSecret;
  try {
    stored = await provider.get(tenant, name, { version: head.version });
  } catch (err) {
    // Gone since the head was read: not the same; the write goes ahead (and meets the race there).
    if (err instanceof NotFoundError) return false;
    throw err;
  }
  try {
    const { plaintext } = open(keyring, { tenant, name, expectedRevision: revision }, stored.value);
    try {
      return plaintext.length === value.length && timingSafeEqual(plaintext, value);
    } finally {
      plaintext.fill(0);
    }
  } catch (err) {
    // A current version that does not open is not "the same value": the write replaces it.
    if (err instanceof IntegrityError) return false;
    throw err;
  } finally {
    stored.value.fill(0);
  }
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
