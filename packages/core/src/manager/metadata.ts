/** The `pv-*` metadata the SecretManager stores beside each value (never the value itself). */
import { IntegrityError } from "../errors.js";
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

export function labelsOf(meta: SecretMetadata): Record<string, string> {
  const raw = meta[META.labels];
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
  } catch {
    // Labels are descriptive only; unreadable labels are reported as none rather than failing a read.
    return {};
  }
}
