/**
 * @polyvault/provider-vault: HashiCorp Vault / OpenBao KV v2 through node-vault.
 *
 *   createVaultProvider({ name: "vault", address: "http://127.0.0.1:8200", token, mount: "secret" })
 */
import { type HealthReport, type Provider, type ProviderOptionsOf, retryPolicy } from "@polyvault/core";
import type { VaultConfig } from "./descriptor.js";
import NodeVault from "node-vault";
import { toPolyvaultError } from "./errors.js";
import { KvV2 } from "./kv.js";
import { MAX_VALUE_BYTES } from "./limits.js";
import { VAULT_NAME_RULE, checkPathOption, createVaultNameCodec } from "./names.js";
import { VaultProvider } from "./provider.js";
import { vaultTransport } from "./transport.js";

export { VAULT_NAME_RULE, checkPathOption, createVaultNameCodec, type VaultNameCodec } from "./names.js";
export { MAX_VALUE_BYTES } from "./limits.js";

/**
 * The configured options (descriptor.ts, declared once there) and the common ones. From code, `address`
 * and `token` may be left out (node-vault then reads VAULT_ADDR, VAULT_TOKEN), and `tls` may be given.
 */
export type VaultProviderOptions = Omit<ProviderOptionsOf<VaultConfig>, "address" | "token" | "tls"> &
  Partial<Pick<VaultConfig, "address" | "token">> & {
    /**
     * TLS for an https address: certificates are verified (against `ca`, PEM text, when given) unless
     * `rejectUnauthorized` is false (test servers only). VAULT_SKIP_VERIFY is ignored.
     */
    readonly tls?: { readonly ca?: string | Buffer | undefined; readonly rejectUnauthorized?: boolean | undefined } | undefined;
  };

const MAX_PAGE_SIZE = 250;
const DEFAULT_PAGE_SIZE = 100;

export function createVaultProvider(options: VaultProviderOptions): Provider {
  const codec = createVaultNameCodec(options.prefix ?? "polyvault");
  const mount = checkPathOption("mount", options.mount ?? "secret");
  const policy = retryPolicy(options.name, options);
  const timeoutMs = policy.timeoutMs;

  let client: NodeVault.client | undefined;
  const vault = (): NodeVault.client => {
    client ??= (() => {
      const c = NodeVault({
        ...(options.address === undefined ? {} : { endpoint: options.address }),
        ...(options.token === undefined ? {} : { token: options.token }),
        // GET …?list=1 instead of the LIST verb, which some proxies refuse.
        noCustomHTTPVerbs: true,
        // Our transport: TLS from this configuration only (never VAULT_SKIP_VERIFY), no redirects.
        "request-promise": vaultTransport(options.tls),
      });
      // node-vault falls back to VAULT_PREFIX / VAULT_NAMESPACE from the environment; paths and
      // namespace come from these options only.
      Object.assign(c, { pathPrefix: "", namespace: options.namespace });
      return c;
    })();
    return client;
  };

  // One attempt, no retries: a health check reports the state now, within timeoutMs.
  const health = async (): Promise<HealthReport> => {
    const t0 = performance.now();
    try {
      // node-vault resolves sys/health with the body even for 429/472/473/501/503, so inspect it.
      const body = (await vault().read("sys/health", { timeout: timeoutMs })) as {
        initialized?: boolean;
        sealed?: boolean;
      };
      const latencyMs = Math.round(performance.now() - t0);
      if (body?.initialized !== true) return { ok: false, latencyMs, detail: "vault is not initialized" };
      if (body.sealed !== false) return { ok: false, latencyMs, detail: "vault is sealed" };
      return { ok: true, latencyMs };
    } catch (err) {
      const mapped = toPolyvaultError(err, { provider: options.name, what: "health check" });
      return { ok: false, latencyMs: Math.round(performance.now() - t0), detail: mapped.message };
    }
  };

  return new VaultProvider({
    name: options.name,
    policy,
    codec,
    kv: new KvV2(vault, mount),
    defaultPageSize: DEFAULT_PAGE_SIZE,
    capabilities: {
      maxValueBytes: MAX_VALUE_BYTES,
      versions: true,
      checkAndSet: true,
      softDelete: true,
      batchGet: 1,
      maxPageSize: MAX_PAGE_SIZE,
      nameRule: VAULT_NAME_RULE,
    },
    health,
    close: async () => {
      client?.stopAllRenewals();
      client = undefined;
    },
  });
}
