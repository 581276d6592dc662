/**
 * /v1/tenants/{tenant}/secrets…: the SecretManager over HTTP. Each handler runs in the caller's request
 * scope, so the manager's steps check that principal's access and audit under the request id. Values
 * arrive as UTF-8 text or base64 and live in Buffers that are wiped once stored or sent.
 */
import { NotFoundError } from "@polyvault/core";
import { type RequestScopes, type Runtime, readAnswer } from "@polyvault/runtime";
import type { GatewayMetrics } from "../metrics/registry.js";
import { type RouteDef, route } from "../route.js";
import {
  DeleteResponse,
  DeleteSecretQuery,
  GetSecretQuery,
  ListResponse,
  PutSecretBody,
  RotateBody,
  SecretParams,
  SecretResponse,
  TenantParams,
  VersionsResponse,
  WriteResponse,
} from "../schemas.js";

const valueBytes = (b: { value?: string | undefined; valueBase64?: string | undefined }): Buffer | undefined =>
  b.value !== undefined ? Buffer.from(b.value, "utf8") : b.valueBase64 !== undefined ? Buffer.from(b.valueBase64, "base64") : undefined;

export function secretRoutes(runtime: Runtime, scopes: RequestScopes, metrics: GatewayMetrics): RouteDef[] {
  const TAG = "secrets";
  return [
    route({
      method: "GET",
      url: "/v1/tenants/:tenant/secrets/:name",
      summary: "Read a secret (fails over to a mirror when the primary is unavailable)",
      tag: TAG,
      auth: true,
      params: SecretParams,
      querystring: GetSecretQuery,
      responses: {
        200: { description: "The value, who served it and whether it is stale (also in X-Polyvault-Served-By and X-Polyvault-Stale)", schema: SecretResponse },
      },
      errors: [404, 503],
      handler: async ({ params, query }, req, reply) => {
        const value = await scopes.manager(params.tenant, scopes.scopeOf(req)).get(params.name, { version: query.version });
        try {
          if (value.stale) metrics.failoverReads.inc({ provider: value.servedBy });
          reply.header("x-polyvault-served-by", value.servedBy).header("x-polyvault-stale", String(value.stale)).header("cache-control", "no-store");
          return await readAnswer(runtime, value);
        } finally {
          value.wipe();
        }
      },
    }),
    route({
      method: "PUT",
      url: "/v1/tenants/:tenant/secrets/:name",
      summary: "Store a new version of a secret",
      tag: TAG,
      auth: true,
      params: SecretParams,
      body: PutSecretBody,
      responses: { 200: { description: "Stored; the new version", schema: WriteResponse } },
      errors: [409, 413, 503],
      handler: async ({ params, body }, req) => {
        const bytes = valueBytes(body) as Buffer;
        try {
          const { version } = await scopes.manager(params.tenant, scopes.scopeOf(req)).set(params.name, bytes, { labels: body.labels });
          return { tenant: params.tenant, name: params.name, version };
        } finally {
          bytes.fill(0);
        }
      },
    }),
    route({
      method: "DELETE",
      url: "/v1/tenants/:tenant/secrets/:name",
      summary: "Delete a secret (soft delete; ?purge=true removes every version)",
      tag: TAG,
      auth: true,
      params: SecretParams,
      querystring: DeleteSecretQuery,
      responses: { 200: { description: "Deleted", schema: DeleteResponse } },
      errors: [404, 409, 503],
      handler: async ({ params, query }, req) => {
        const purge = query.purge === "true";
        await scopes.manager(params.tenant, scopes.scopeOf(req)).delete(params.name, { purge });
        return { tenant: params.tenant, name: params.name, deleted: true, purged: purge };
      },
    }),
    route({
      method: "GET",
      url: "/v1/tenants/:tenant/secrets",
      summary: "List a tenant's secrets (names and metadata, never values; only the names the caller may see)",
      tag: TAG,
      auth: true,
      params: TenantParams,
      responses: { 200: { description: "The secrets", schema: ListResponse } },
      errors: [503],
      handler: async ({ params }, req) => {
        const secrets = await scopes.manager(params.tenant, scopes.scopeOf(req)).list();
        return { tenant: params.tenant, secrets: secrets.map((s) => ({ ...s, updatedAt: s.updatedAt?.toISOString() })) };
      },
    }),
    route({
      method: "GET",
      url: "/v1/tenants/:tenant/secrets/:name/versions",
      summary: "List a secret's versions",
      tag: TAG,
      auth: true,
      params: SecretParams,
      responses: { 200: { description: "The versions", schema: VersionsResponse } },
      errors: [404, 503],
      handler: async ({ params }, req) => {
        const versions = await scopes.manager(params.tenant, scopes.scopeOf(req)).versions(params.name);
        return {
          tenant: params.tenant,
          name: params.name,
          versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt?.toISOString(), current: v.current, keyVersion: v.keyVersion })),
        };
      },
    }),
    route({
      method: "POST",
      url: "/v1/tenants/:tenant/secrets/:name/rotate",
      summary: "Give an existing secret a new value: the one sent, or a generated one",
      tag: TAG,
      auth: true,
      params: SecretParams,
      body: RotateBody,
      bodyOptional: true,
      responses: { 200: { description: "Rotated; the new version", schema: WriteResponse } },
      errors: [404, 409, 413, 503],
      handler: async ({ params, body }, req) => {
        const given = valueBytes(body);
        try {
          const { version } = await scopes
            .manager(params.tenant, scopes.scopeOf(req))
            .rotate(params.name, { value: given, generate: { length: body.length, alphabet: body.alphabet } });
          return { tenant: params.tenant, name: params.name, version };
        } catch (err) {
          if (err instanceof NotFoundError) throw new NotFoundError(`${err.message} (rotate needs an existing secret; PUT creates one)`);
          throw err;
        } finally {
          given?.fill(0);
        }
      },
    }),
  ];
}
