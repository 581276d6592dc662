/**
 * Canonical form and hashing of audit entries, and the signed checkpoint statement. Canonical JSON is
 * RFC 8785 (JCS) through the `canonicalize` library, so the hash of an entry does not depend on key order
 * or number formatting, and another implementation can recompute it.
 */
import { type KeyObject, createHash, createHmac, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import { IntegrityError } from "../errors.js";

/** RFC 8785 canonical JSON of a plain object (undefined members dropped, as JSON does). */
export function canonical(value: object): string {
  const text = canonicalize(value);
  if (text === undefined) throw new IntegrityError("audit entry cannot be serialised as JSON");
  return text;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The hash the next entry carries as `prev`. */
export function hashEntry(entry: object): string {
  return sha256Hex(canonical(entry));
}

/**
 * Bytes signed by a checkpoint or anchor: domain-separated (count, head, time). v2 signs the time too, so
 * that a checkpoint's `time` cannot be edited; v1 (count, head only) is what logs written before it carry.
 */
function statement(count: number, head: string, time: string | undefined): Buffer {
  const body = time === undefined ? { purpose: "polyvault-audit-checkpoint/v1", count, head } : { purpose: "polyvault-audit-checkpoint/v2", count, head, time };
  return Buffer.from(canonical(body), "utf8");
}

export function signStatement(key: KeyObject, count: number, head: string, time: string): string {
  return sign(null, statement(count, head, time), key).toString("base64");
}

/** The signature over (count, head, time): v2, or v1 on an entry marked `v: 1` written before v2 existed. */
export function verifyStatement(key: KeyObject, entry: { v?: unknown; count: number; head: string; time?: unknown; sig?: unknown }): boolean {
  const { sig } = entry;
  if (typeof sig !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(sig)) return false;
  try {
    const bytes = Buffer.from(sig, "base64");
    if (entry.v === 2) return typeof entry.time === "string" && verify(null, statement(entry.count, entry.head, entry.time), key, bytes);
    return entry.v === 1 && verify(null, statement(entry.count, entry.head, undefined), key, bytes);
  } catch {
    return false;
  }
}

/** A record's MAC: HMAC-SHA256 over its canonical form without the `mac` member. */
export function recordMac(macKey: Buffer, entry: object): string {
  const { mac: _mac, ...rest } = entry as { mac?: unknown };
  return createHmac("sha256", macKey).update(canonical(rest), "utf8").digest("base64url");
}

/**
 * A new record's line and MAC with one canonicalisation instead of two (the writer's hot path). Members
 * are sorted, so the canonical form with the MAC is the one without it with `"mac":"…",` inserted after
 * the members that sort before `mac` (action, actor, and detail when present: strings, whose canonical
 * form is JSON.stringify's). That prefix is checked against canonicalize's own output, and anything
 * unexpected takes the plain path; `audit verify` recomputes both.
 */
export function macedLine(macKey: Buffer, entry: Readonly<Record<string, unknown>>): string {
  const body = canonical(entry);
  const mac = createHmac("sha256", macKey).update(body, "utf8").digest("base64url");
  const before = Object.keys(entry)
    .filter((k) => k < "mac")
    .sort();
  const plain = () => canonical({ ...entry, mac });
  if (before.length === 0 || before.some((k) => typeof entry[k] !== "string")) return plain();
  const prefix = `{${before.map((k) => `${JSON.stringify(k)}:${JSON.stringify(entry[k])}`).join(",")},`;
  if (!body.startsWith(prefix) || body.length === prefix.length) return plain();
  return `${prefix}"mac":${JSON.stringify(mac)},${body.slice(prefix.length)}`;
}

/** Drops undefined members so the stored entry and its canonical form agree. */
export function compact<T extends object>(value: T): T {
  return withDefined({}, value) as T;
}

/**
 * Copies `from`'s own members that are not undefined into `into`, then `over`'s (which win): what
 * `compact({ ...from, ...over })` gives, without the intermediate object (a record's entry on the writer's
 * hot path).
 */
export function withDefined(into: Record<string, unknown>, from: object, over?: object): Record<string, unknown> {
  for (const src of over === undefined ? [from] : [from, over]) {
    const o = src as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined) delete into[k];
      else into[k] = v;
    }
  }
  return into;
}
