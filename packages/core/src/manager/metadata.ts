/** The `pv-*` metadata the SecretManager stores beside each value (never the value itself). */
import { IntegrityError, InvalidInputError } from "../errors.js";
import type { SecretMetadata } from "../provider.js";

export const META = {
  digest: "pv-digest",
  revision: "pv-rev",
  keyVersion: "pv-kv",
  labels: "pv-labels",
  encryption: "pv-enc",
  /** Size in bytes of the stored envelope (lets a planner check a target's size limit without reading). */
  size: "pv-size",
} as const;

export type EncryptionMode = "envelope" | "native";

export function revisionOf(meta: SecretMetadata): number | undefined {
  const raw = meta[META.revision];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new IntegrityError(`stored metadata has an invalid revision ${JSON.stringify(raw)}`);
  return n;
}

/** Labels travel as one metadata value: "b64:" + base64url(JSON), so any provider's tag alphabet holds them. */
export const LABELS_MAX_ENCODED = 256;

export function encodeLabels(labels: Readonly<Record<string, string>>): string {
  const encoded = `b64:${Buffer.from(JSON.stringify(labels), "utf8").toString("base64url")}`;
  if (encoded.length > LABELS_MAX_ENCODED) {
    throw new InvalidInputError(`labels take ${encoded.length} characters once encoded; at most ${LABELS_MAX_ENCODED} fit in every provider's metadata`);
  }
  return encoded;
}

export function labelsOf(meta: SecretMetadata): Record<string, string> {
  const stored = meta[META.labels];
  if (!stored) return {};
  const raw = stored.startsWith("b64:") ? Buffer.from(stored.slice(4), "base64url").toString("utf8") : stored;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
  } catch {
    // Labels are descriptive only; unreadable labels are reported as none rather than failing a read.
    return {};
  }
}
