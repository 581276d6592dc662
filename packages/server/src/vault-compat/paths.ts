/**
 * What a Vault-compatible request asks for, from its method, path and query (a discriminated union the
 * handler switches on). The first path segment after `/v1/` is the mount, and a mount is a tenant id;
 * Vault's own reserved mounts (`sys`, `auth`, `identity`, `cubbyhole`) are never tenants here.
 */
import { TenantIdSchema } from "@polyvault/core";

export type VaultRequest =
  | { readonly kind: "mounts"; readonly tenant: string }
  | { readonly kind: "read"; readonly tenant: string; readonly name: string; readonly version: number | undefined }
  | { readonly kind: "metadata"; readonly tenant: string; readonly name: string }
  | { readonly kind: "list"; readonly tenant: string; readonly prefix: string }
  | { readonly kind: "refused"; readonly status: 400 | 403 | 404 | 405; readonly errors: readonly string[] };

/** Vault's reserved mounts: no tenant can be reached under these names through this listener. */
export const RESERVED_MOUNTS: ReadonlySet<string> = new Set(["sys", "auth", "identity", "cubbyhole"]);

/** KV v2 endpoints that write or configure (refused with 405, as Vault refuses an unsupported operation). */
const KV_WRITE_ONLY = new Set(["config", "delete", "undelete", "destroy", "subkeys"]);

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);

const refused = (status: 400 | 403 | 404 | 405, ...errors: string[]): VaultRequest => ({ kind: "refused", status, errors });

/** Each segment percent-decoded; undefined when one does not decode. */
function decodeSegments(path: string): string[] | undefined {
  try {
    return path.split("/").map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

export function parseVaultRequest(method: string, url: string, list: boolean): VaultRequest {
  const [rawPath = "", rawQuery = ""] = url.split("?", 2);
  const query = new URLSearchParams(rawQuery);
  const listing = list || TRUE.has(query.get("list") ?? "");
  if (!rawPath.startsWith("/v1/")) return refused(404, "this listener answers the Vault API under /v1/ only");
  const segments = decodeSegments(rawPath.slice(4));
  if (!segments) return refused(400, "invalid path: a segment is not valid percent-encoding");
  const [mount = "", kind = "", ...rest] = segments;
  if (mount === "sys" && kind === "internal" && rest[0] === "ui" && rest[1] === "mounts" && rest.length > 2) {
    if (method !== "GET") return refused(405, "unsupported operation");
    const tenant = rest[2] ?? "";
    if (!TenantIdSchema.safeParse(tenant).success || RESERVED_MOUNTS.has(tenant)) {
      return refused(
        403,
        `preflight capability check returned 403, please ensure client's policies grant access to path "${rest.slice(2).join("/").slice(0, 300)}/"`,
      );
    }
    return { kind: "mounts", tenant };
  }
  if (RESERVED_MOUNTS.has(mount))
    return refused(403, "permission denied", `this gateway answers only KV v2 reads with a tenant as the mount; ${mount}/ is not served`);
  if (!TenantIdSchema.safeParse(mount).success) return refused(404, `no handler for route "${rawPath.slice(4, 304)}". route entry not found.`);
  const name = rest.join("/");
  if (kind === "data" || kind === "metadata") {
    if (method !== "GET" && method !== "HEAD") {
      return refused(
        405,
        "unsupported operation",
        "this gateway answers Vault KV v2 reads only; write through Polyvault (polyvault secrets set, or PUT /v1/tenants/{t}/secrets/{name} on the REST API)",
      );
    }
    if (kind === "metadata" && (listing || name === "" || name.endsWith("/"))) {
      if (!listing) return refused(405, "unsupported operation", "a folder's metadata is listed with LIST or GET ?list=true");
      return { kind: "list", tenant: mount, prefix: name === "" || name.endsWith("/") ? name : `${name}/` };
    }
    if (name === "") return refused(400, "invalid path: a secret name is missing");
    if (kind === "metadata") return { kind: "metadata", tenant: mount, name };
    if (listing) return refused(405, "unsupported operation", "list under metadata/, not data/");
    const raw = query.get("version");
    if (raw === null || raw === "" || raw === "0") return { kind: "read", tenant: mount, name, version: undefined };
    if (!/^[1-9][0-9]{0,8}$/.test(raw)) return refused(400, "invalid version: a whole number from 0 (0 or none: the current version)");
    return { kind: "read", tenant: mount, name, version: Number(raw) };
  }
  if (KV_WRITE_ONLY.has(kind)) return refused(405, "unsupported operation", `${kind}/ is not served: this gateway answers Vault KV v2 reads only`);
  return refused(404, `no handler for route "${rawPath.slice(4, 304)}". route entry not found.`);
}
