/**
 * Canonical form and hashing of audit entries, and the signed checkpoint statement. Canonical JSON is
 * RFC 8785 (JCS) through the `canonicalize` library, so the hash of an entry does not depend on key order
 * or number formatting, and another implementation can recompute it. The writer's records take a narrower
 * path with the same output (sortedFlat), and everything that checks a line uses the library.
 */
import { type KeyObject, createHmac, hash as oneShotHash, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import { IntegrityError } from "../errors.js";

/**
 * RFC 8785 canonical JSON of a plain object (undefined members dropped, as JSON does). An object that has
 * none (a lone surrogate in a string or member name, which RFC 8785 refuses) is an IntegrityError: no
 * writer makes one, so it came from a file that was edited.
 */
export function canonical(value: object): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new IntegrityError(`audit entry has no canonical JSON form: ${(err as Error).message}`);
  }
  if (text === undefined) throw new IntegrityError("audit entry cannot be serialised as JSON");
  return text;
}

/** canonical(value), or undefined when it has none (for the checks that report a bad line rather than throw). */
export function tryCanonical(value: object): string | undefined {
  try {
    return canonical(value);
  } catch {
    return undefined;
  }
}

/**
 * SHA-256 of a text, in hex: one-shot `crypto.hash` (Node ≥ 20.12), which makes no Hash object, whose
 * native handle every young-generation GC would then have to process (one per audit entry written).
 */
export function sha256Hex(text: string): string {
  return oneShotHash("sha256", text, "hex");
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
 * A flat entry's members in canonical order, as a new object whose JSON.stringify is its canonical form;
 * undefined when the entry is not flat. Flat: every member a well-formed string or a safe integer
 * (undefined members are dropped, as the library drops them), and no member name that looks like an
 * array index (the engine puts those first, whatever the order they were added in) or is `__proto__`
 * (which an assignment does not add as a member). For such members
 * RFC 8785 is JSON.stringify's own output (§3.2.2: strings and numbers serialised as ECMAScript does)
 * with the members in UTF-16 code-unit order (§3.2.3: Array.prototype.sort's default order).
 *
 * This is the audit writer's hot path, where canonicalize 4 costs a Set and two JSON.stringify calls per
 * member: half of a record's cost (docs/benchmarks.md, "Failover reads"). test/audit/compose.test.ts holds
 * it to canonicalize's output over generated entries, and `audit verify` recomputes every line with the
 * library.
 */
function sortedFlat(entry: Readonly<Record<string, unknown>>, sortedKeys: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys) {
    const v = entry[k];
    if (v === undefined) continue;
    if (typeof v === "string" ? !v.isWellFormed() : !Number.isSafeInteger(v)) return undefined;
    if (INDEX_LIKE.test(k) || k === "__proto__" || !k.isWellFormed()) return undefined;
    out[k] = v;
  }
  return out;
}

/** A member name the engine orders as an array index (before every other member). */
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/** The canonical form of a flat entry (see sortedFlat), given its member names sorted; undefined when it is not flat. */
export function flatCanonical(entry: Readonly<Record<string, unknown>>, sortedKeys: readonly string[]): string | undefined {
  const sorted = sortedFlat(entry, sortedKeys);
  return sorted && JSON.stringify(sorted);
}

/**
 * A new record's line: `record`'s members with `over`'s (which win; undefined members dropped), and the
 * MAC over the canonical form of those, in canonical form. Through sortedFlat when the record is flat (a
 * record's members are strings and integers), else through the library. A `mac` member of `record` is
 * dropped: the line's own MAC takes its place, and the MAC never covers a `mac` (recordMac).
 */
export function macedLine(macKey: Buffer, record: object, over: object): string {
  const entry = withDefined({}, record, over);
  if (Object.hasOwn(entry, "mac")) delete entry.mac;
  const keys = Object.keys(entry).sort();
  const sorted = sortedFlat(entry, keys);
  if (sorted === undefined) {
    const mac = createHmac("sha256", macKey).update(canonical(entry), "utf8").digest("base64url");
    return canonical({ ...entry, mac });
  }
  const mac = createHmac("sha256", macKey).update(JSON.stringify(sorted), "utf8").digest("base64url");
  const line: Record<string, unknown> = {};
  let placed = false;
  for (const k of keys) {
    if (!placed && k > "mac") {
      line.mac = mac;
      placed = true;
    }
    line[k] = sorted[k];
  }
  if (!placed) line.mac = mac;
  return JSON.stringify(line);
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
