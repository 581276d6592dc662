/**
 * The four answers, each run in the caller's request scope so that SecretManager checks the caller's
 * access (lockout included) and audits under the request id, exactly as a REST request does:
 * a data read is `get` (action `read`), a metadata read is `versions` (then the secret's labels from
 * its head, which that authorized call has just covered), a LIST is `list` (which answers only the
 * names the caller's globs allow). The mounts preflight reads nothing and needs only a valid token.
 */
import { isUtf8 } from "node:buffer";
import { labelsOf } from "@polyvault/core";
import type { RequestScope, RequestScopes } from "@polyvault/runtime";
import type { GatewayMetrics } from "../metrics/registry.js";
import type { VaultRequest } from "./paths.js";
import { customMetadata, envelope, listKeys, metadataData, mountData, time } from "./shapes.js";

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

type Served = Exclude<VaultRequest, { kind: "refused" }>;

export async function answer(request: Served, scope: RequestScope, scopes: RequestScopes, metrics: GatewayMetrics): Promise<Answer> {
  const { requestId } = scope;
  switch (request.kind) {
    case "mounts":
      return { status: 200, body: { ...envelope(requestId, mountData(request.tenant)), mount_type: "" } };
    case "read": {
      const value = await scopes.manager(request.tenant, scope).get(request.name, { version: request.version });
      try {
        const bytes = value.bytes();
        const data = isUtf8(bytes) ? { value: bytes.toString("utf8") } : { value_base64: bytes.toString("base64") };
        if (value.stale) metrics.failoverReads.inc({ provider: value.servedBy });
        const warnings = value.stale ? [`served by mirror ${value.servedBy} because the tenant's primary is unavailable: it may be stale`] : [];
        const metadata = {
          created_time: time(value.updatedAt),
          custom_metadata: customMetadata(value.labels),
          deletion_time: "",
          destroyed: false,
          version: value.version,
        };
        return {
          status: 200,
          body: envelope(requestId, { data, metadata }, warnings),
          headers: { "x-polyvault-served-by": value.servedBy, "x-polyvault-stale": String(value.stale) },
        };
      } finally {
        value.wipe();
      }
    }
    case "metadata": {
      const manager = scopes.manager(request.tenant, scope);
      const versions = await manager.versions(request.name);
      const head = await manager.primary.head(manager.tenant, request.name);
      return { status: 200, body: envelope(requestId, metadataData(versions, labelsOf(head.metadata))) };
    }
    case "list": {
      const keys = listKeys(await scopes.manager(request.tenant, scope).list(), request.prefix);
      // Vault answers an empty folder with 404 and no error text.
      return keys.length ? { status: 200, body: envelope(requestId, { keys }) } : { status: 404, body: { errors: [] } };
    }
  }
}
