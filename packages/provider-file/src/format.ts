/**
 * One version of one secret is one file: "PVF1", a uint32 BE header length, a JSON header, the value.
 * The value is what the core hands over: Polyvault ciphertext in envelope mode.
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

export function decodeHeader(buf: Buffer, file: string): { header: VersionHeader; valueOffset: number } {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new IntegrityError(`file provider: ${file} is not a Polyvault version file`);
  }
  const len = buf.readUInt32BE(4);
  if (8 + len > buf.length) throw new IntegrityError(`file provider: ${file} is truncated`);
  let header: VersionHeader;
  try {
    header = JSON.parse(buf.subarray(8, 8 + len).toString("utf8")) as VersionHeader;
  } catch (cause) {
    throw new IntegrityError(`file provider: ${file} has a corrupt header`, { cause });
  }
  if (typeof header.name !== "string" || typeof header.managed !== "boolean") {
    throw new IntegrityError(`file provider: ${file} has a malformed header`);
  }
  return { header, valueOffset: 8 + len };
}
