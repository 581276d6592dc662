/**
 * Bytes ↔ Azure secret values. Key Vault stores strings (at most 25,600 characters, the service's own
 * error says), so Polyvault writes:
 * - plain text when the bytes are valid UTF-8 without control characters (other than tab, CR, LF), so an
 *   application reading a `native`-mode secret straight from Key Vault sees the text itself;
 * - otherwise standard base64, marked by the content type BYTES_CONTENT_TYPE.
 * `maxValueBytes` is the size whose base64 form exactly fills the service limit, so every value up to it
 * fits however it is encoded, and the encoded length is checked again before sending.
 */
import { IntegrityError, TooLargeError } from "@polyvault/core";

/** Azure's limit on a secret value ("beyond the maximum permitted length of 25600 characters"). */
export const AZURE_VALUE_MAX_CHARS = 25_600;
/** Largest raw value: its base64 form is exactly AZURE_VALUE_MAX_CHARS. */
export const MAX_VALUE_BYTES = (AZURE_VALUE_MAX_CHARS / 4) * 3;
export const TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
export const BYTES_CONTENT_TYPE = "application/vnd.polyvault.bytes+base64";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** C0 controls other than tab, LF and CR, and DEL: legal in JSON, but not something to hand a service as "text". */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncodedValue {
  readonly value: string;
  readonly contentType: string;
}

function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8: the bytes go as base64 (an expected outcome, not an error)
  }
  return hasControl(text) ? undefined : text;
}

/** Encodes a value for Azure; TooLargeError (naming sizes, never content) when it cannot fit. */
export function encodeValue(bytes: Uint8Array, what: string): EncodedValue {
  if (bytes.byteLength > MAX_VALUE_BYTES)
    throw new TooLargeError(`${what}: value is ${bytes.byteLength} bytes, over the Azure provider's limit of ${MAX_VALUE_BYTES} bytes`);
  const text = asText(bytes);
  const encoded: EncodedValue =
    text !== undefined
      ? { value: text, contentType: TEXT_CONTENT_TYPE }
      : { value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), contentType: BYTES_CONTENT_TYPE };
  // Counted in UTF-8 bytes, which is never less than the characters Azure counts.
  const size = Buffer.byteLength(encoded.value, "utf8");
  if (size > AZURE_VALUE_MAX_CHARS) throw new TooLargeError(`${what}: encoded value is ${size} bytes, over Azure's limit of ${AZURE_VALUE_MAX_CHARS}`);
  return encoded;
}

/** The stored bytes of a secret value as read back from Azure. */
export function decodeValue(value: string | undefined, contentType: string | undefined, what: string): Buffer {
  const s = value ?? "";
  if (contentType !== BYTES_CONTENT_TYPE) return Buffer.from(s, "utf8");
  if (!BASE64.test(s)) throw new IntegrityError(`${what}: marked as base64 (${BYTES_CONTENT_TYPE}) but is not valid base64`);
  return Buffer.from(s, "base64");
}
