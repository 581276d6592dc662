/**
 * One version of one secret is one file: "PVF1", a uint32 BE header length, a JSON header, the value.
 * The value is what the core hands over: Polyvault ciphertext in envelope mode.
 *
 * The header is not authenticated (the store is written without a key): every field is validated in
 * full, and none may switch a check off (docs/security-model.md, "What stored metadata may decide").
 */
import { IntegrityError, type SecretMetadata } from "@polyvault/core";

const MAGIC = Buffer.from("PVF1");

export interface VersionHeader {
  readonly name: string;
  readonly tenant: string;
  readonly managed: boolean;
  readonly metadata: SecretMetadata;
  readonly createdAt: string;
  /** The version number this file was written as: a file copied into another version's place is caught. */
  readonly version?: number;
}

export function encodeVersion(header: VersionHeader, value: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const out = Buffer.allocUnsafe(8 + json.length + value.length);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(json.length, 4);
  json.copy(out, 8);
  out.set(value, 8 + json.length);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `h` is not a valid header, or undefined. */
function headerProblem(h: unknown): string | undefined {
  if (!isObject(h)) return "not an object";
  if (typeof h.name !== "string" || typeof h.tenant !== "string") return "no name or tenant";
  if (typeof h.managed !== "boolean") return "no managed flag";
  if (!isObject(h.metadata)) return "no metadata";
  if (!Object.values(h.metadata).every((v) => typeof v === "string")) return "a metadata value is not a string";
  if (typeof h.createdAt !== "string" || Number.isNaN(Date.parse(h.createdAt))) return "no valid createdAt";
  if (h.version !== undefined && !(Number.isInteger(h.version) && (h.version as number) >= 1)) return "an invalid version";
  if (h.managed && h.version === undefined) return "no version";
  return undefined;
}

export function decodeHeader(buf: Buffer, file: string): { header: VersionHeader; valueOffset: number } {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new IntegrityError(`file provider: ${file} is not a Polyvault version file`);
  }
  const len = buf.readUInt32BE(4);
  if (8 + len > buf.length) throw new IntegrityError(`file provider: ${file} is truncated`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.subarray(8, 8 + len).toString("utf8"));
  } catch (cause) {
    throw new IntegrityError(`file provider: ${file} has a corrupt header`, { cause });
  }
  const problem = headerProblem(parsed);
  if (problem !== undefined) throw new IntegrityError(`file provider: ${file} has a malformed header (${problem})`);
  return { header: parsed as VersionHeader, valueOffset: 8 + len };
}
