/**
 * Failover reads never trust a mirror's own metadata. What vouches for a mirror's copy is the sync
 * state's authenticated record of it (the route that wrote it: the revision and HMAC digest it copied,
 * and from configuration whether that target holds envelopes or native values). A copy that does not
 * match — an older envelope written as a new version, a `pv-enc: native` value, another tenant's or
 * name's envelope — is refused with IntegrityError, and the next mirror is asked.
 */
import { digest, open } from "../crypto/index.js";
import type { Keyring } from "../crypto/keyring.js";
import { IntegrityError } from "../errors.js";
import type { StoredSecret } from "../provider.js";

export interface MirrorRecord {
  /** The source revision and digest the sync recorded for this mirror's copy. */
  readonly revision: number;
  readonly digest: string;
  /** From configuration (the route's target), never from the stored metadata. */
  readonly encryption: "envelope" | "native";
  readonly syncedAt: Date;
}

/** Returns the record of (mirror, secret), or undefined when no authenticated record exists. */
export type MirrorRecordLookup = (mirror: string, name: string) => Promise<MirrorRecord | undefined>;

/** The plaintext of a mirror's copy, checked against the record; the caller owns (and wipes) it. */
export function checkedMirrorValue(
  keyring: Keyring,
  ctx: { tenant: string; name: string; mirror: string; wanted: number | undefined },
  stored: StoredSecret,
  record: MirrorRecord | undefined,
): { plaintext: Buffer; revision: number; keyVersion: number } {
  const what = `mirror ${ctx.mirror}'s copy of ${JSON.stringify(ctx.name)} (tenant ${ctx.tenant})`;
  if (!record) throw new IntegrityError(`${what} has no authenticated sync record: it is not served`);
  const revision = ctx.wanted ?? record.revision;
  if (record.encryption === "envelope") {
    const opened = open(keyring, { tenant: ctx.tenant, name: ctx.name, expectedRevision: revision }, stored.value);
    // An older revision asked for by number is authentic by its envelope alone (the revision is bound in).
    if (ctx.wanted === undefined && digest(keyring, ctx.tenant, ctx.name, opened.plaintext) !== record.digest) {
      opened.plaintext.fill(0);
      throw new IntegrityError(`${what} is not the value the last sync copied: it is not served`);
    }
    return { plaintext: opened.plaintext, revision: opened.revision, keyVersion: opened.keyVersion };
  }
  if (ctx.wanted !== undefined && ctx.wanted !== record.revision)
    throw new IntegrityError(`${what}: only the synced revision ${record.revision} of a native mirror can be checked, not ${ctx.wanted}`);
  const plaintext = Buffer.from(stored.value);
  if (digest(keyring, ctx.tenant, ctx.name, plaintext) !== record.digest) {
    plaintext.fill(0);
    throw new IntegrityError(`${what} is not the value the last sync copied: it is not served`);
  }
  return { plaintext, revision: record.revision, keyVersion: 0 };
}
