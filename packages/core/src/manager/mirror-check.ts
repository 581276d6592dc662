/**
 * Failover reads never trust a mirror's own metadata. What vouches for a mirror's copy is the sync
 * state's authenticated record of it (the route that wrote it: the revision and HMAC digest it copied,
 * and from configuration whether that target holds envelopes or native values). A copy that does not
 * match — an older envelope written as a new version, a `pv-enc: native` value, another tenant's or
 * name's envelope — is refused with IntegrityError, and the next mirror is asked.
 */
import { hash } from "node:crypto";
import { keepBounded } from "../bounded-map.js";
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

/**
 * The digests of mirror envelopes this reader has opened: envelope → the keyed digest of its plaintext.
 * A failover read of a hot secret would otherwise compute the same HMAC over the same plaintext on every
 * read (a tenth of a failover read's CPU, and a native HMAC object for each young-generation GC to
 * finalise: docs/benchmarks.md, "Failover reads"). Sound because an entry is only ever used for an
 * envelope that has just been opened: an envelope that authenticates under the tenant's key, for this
 * name and revision, has exactly one plaintext, and the same bytes (found by their SHA-256, a hash of
 * ciphertext, not of the value) give the same digest under the same keyring. One per keyring, shared by
 * every tenant's manager (`VerifiedDigests.of(keyring)`), so that the bound holds for the process however
 * many tenants it serves: at most MAX_ENTRIES, oldest out first (about 2 MB). Only digests are kept,
 * never a value.
 */
export class VerifiedDigests {
  static readonly MAX_ENTRIES = 10_000;
  static readonly #byKeyring = new WeakMap<Keyring, VerifiedDigests>();
  readonly #entries = new Map<string, string>();

  /** The keyring's instance. */
  static for(keyring: Keyring): VerifiedDigests {
    let v = VerifiedDigests.#byKeyring.get(keyring);
    if (!v) {
      v = new VerifiedDigests();
      VerifiedDigests.#byKeyring.set(keyring, v);
    }
    return v;
  }

  /** The digest of `plaintext`, the just-opened content of `envelope` (secret `name`). */
  of(keyring: Keyring, tenant: string, name: string, envelope: Uint8Array, plaintext: Buffer): string {
    const id = `${tenant}\u0000${name}\u0000${hash("sha256", envelope, "base64")}`;
    const known = this.#entries.get(id);
    if (known !== undefined) return known;
    const d = digest(keyring, tenant, name, plaintext);
    keepBounded(this.#entries, id, d, VerifiedDigests.MAX_ENTRIES);
    return d;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The plaintext of a mirror's copy, checked against the record; the caller owns (and wipes) it. */
export function checkedMirrorValue(
  keyring: Keyring,
  ctx: { tenant: string; name: string; mirror: string; wanted: number | undefined },
  stored: StoredSecret,
  record: MirrorRecord | undefined,
  verified?: VerifiedDigests,
): { plaintext: Buffer; revision: number; keyVersion: number } {
  // Only a refusal needs the sentence (not made on every read).
  const what = () => `mirror ${ctx.mirror}'s copy of ${JSON.stringify(ctx.name)} (tenant ${ctx.tenant})`;
  if (!record) throw new IntegrityError(`${what()} has no authenticated sync record: it is not served`);
  const revision = ctx.wanted ?? record.revision;
  if (record.encryption === "envelope") {
    const opened = open(keyring, { tenant: ctx.tenant, name: ctx.name, expectedRevision: revision }, stored.value);
    const digestOf = () =>
      verified ? verified.of(keyring, ctx.tenant, ctx.name, stored.value, opened.plaintext) : digest(keyring, ctx.tenant, ctx.name, opened.plaintext);
    // An older revision asked for by number is authentic by its envelope alone (the revision is bound in).
    if (ctx.wanted === undefined && digestOf() !== record.digest) {
      opened.plaintext.fill(0);
      throw new IntegrityError(`${what()} is not the value the last sync copied: it is not served`);
    }
    return { plaintext: opened.plaintext, revision: opened.revision, keyVersion: opened.keyVersion };
  }
  if (ctx.wanted !== undefined && ctx.wanted !== record.revision)
    throw new IntegrityError(`${what()}: only the synced revision ${record.revision} of a native mirror can be checked, not ${ctx.wanted}`);
  const plaintext = Buffer.from(stored.value);
  if (digest(keyring, ctx.tenant, ctx.name, plaintext) !== record.digest) {
    plaintext.fill(0);
    throw new IntegrityError(`${what()} is not the value the last sync copied: it is not served`);
  }
  return { plaintext, revision: record.revision, keyVersion: 0 };
}
