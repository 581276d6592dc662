/**
 * File-provider name codec. A secret lives in one directory per name below the tenant's directory.
 * The encoding is reversible and injective: '/' (the only character of a secret name a path cannot hold
 * as-is) becomes '~', which no secret name contains. An encoded name over 200 bytes is split into
 * 200-byte chunks, each but the last followed by '+' (another character names never contain), so a
 * 256-character name stays under the usual 255-byte file-name limit.
 */
import { type NameCheck, SecretNameSchema, TenantIdSchema } from "@polyvault/core";

const CHUNK = 200;

export function encodeName(name: string): string[] {
  const flat = name.replaceAll("/", "~");
  const parts: string[] = [];
  for (let i = 0; i < flat.length; i += CHUNK) parts.push(flat.slice(i, i + CHUNK));
  // A last chunk of "." or ".." would be a special path component: cut two characters earlier instead.
  const last = parts.at(-1);
  if (parts.length > 1 && (last === "." || last === "..")) {
    const prev = parts[parts.length - 2] as string;
    parts.splice(parts.length - 2, 2, prev.slice(0, -2), prev.slice(-2) + last);
  }
  return parts.map((p, i) => (i < parts.length - 1 ? `${p}+` : p));
}

export function decodeName(parts: readonly string[]): string {
  return parts
    .map((p) => (p.endsWith("+") ? p.slice(0, -1) : p))
    .join("")
    .replaceAll("~", "/");
}

export function fileNameFits(tenant: string, name: string): NameCheck {
  const t = TenantIdSchema.safeParse(tenant);
  if (!t.success) return { ok: false, reason: `invalid tenant id: ${t.error.issues[0]?.message}` };
  const n = SecretNameSchema.safeParse(name);
  if (!n.success) return { ok: false, reason: n.error.issues[0]?.message ?? "invalid secret name" };
  return { ok: true, nativeName: `${tenant}/s/${encodeName(name).join("/")}` };
}
