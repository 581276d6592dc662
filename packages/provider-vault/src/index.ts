/**
 * @polyvault/provider-vault: HashiCorp Vault / OpenBao KV v2 through node-vault.
 *
 *   createVaultProvider({ name: "vault", address: "http://127.0.0.1:8200", token, mount: "secret" })
 */
import type { CommonProviderOptions, HealthReport, Provider } from "@polyvault/core";
import NodeVault from "node-vault";
import { toPolyvaultError } from "./errors.js";
import { KvV2 } from "./kv.js";
import { MAX_VALUE_BYTES } from "./limits.js";
import { VAULT_NAME_RULE, checkPathOption, createVaultNameCodec } from "./names.js";
import { VaultProvider } from "./provider.js";
import { vaultTransport } from "./transport.js";

export { VAULT_NAME_RULE, checkPathOption, createVaultNameCodec, type VaultNameCodec } from "./names.js";
export { MAX_VALUE_BYTES } from "./limits.js";

export interface VaultProviderOptions extends CommonProviderOptions {
  /** Vault's address, e.g. `https://vault.example.com:8200` (default: node-vault's VAULT_ADDR, then http://127.0.0.1:8200). */
  readonly address?: string | undefined;
  /** A Vault token (default: node-vault reads VAULT_TOKEN). */
  readonly token?: string | undefined;
  /** The KV v2 mount path (default "secret"). */
  readonly mount?: string | undefined;
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace (none by default; VAULT_NAMESPACE is ignored). */
  readonly namespace?: string | undefined;
  /**
   * TLS for an https address: certificates are verified (against `ca` when given) unless
   * `rejectUnauthorized` is false (test servers only). VAULT_SKIP_VERIFY is ignored.
   */
  readonly tls?: { readonly ca?: string | Buffer | undefined; readonly rejectUnauthorized?: boolean | undefined } | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_PAGE_SIZE = 250;
const DEFAULT_PAGE_SIZE = 100;

export function createVaultProvider(options: VaultProviderOptions): Provider {
  const codec = createVaultNameCodec(options.prefix ?? "polyvault");
  const mount = checkPathOption("mount", options.mount ?? "secret");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

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
    timeoutMs,
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
