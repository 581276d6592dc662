/**
 * The runtime: configuration, data directory, master key and keyring, providers, and one SecretManager
 * per tenant, wired the same way for the CLI and the HTTP gateway.
 */
import { InvalidInputError, Keyring, type OperationStep, type Passphrase, type Provider, SecretManager, type TenantId, loadMasterKey, parseTenantId } from "@polyvault/core";
import { type LoadedConfig, loadConfig, resolveConfigPath } from "./config/load.js";
import type { PolyvaultConfig } from "./config/schema.js";
import { resolveDataDir } from "./data-dir.js";
import { createProvider } from "./providers.js";
import { buildSteps } from "./steps.js";

export interface RuntimeOptions {
  readonly dataDir?: string | undefined;
  readonly configPath?: string | undefined;
  /** A configuration to use instead of loading one (the demo uses the embedded default). */
  readonly config?: PolyvaultConfig | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly passphrase?: Passphrase | undefined;
  readonly actor?: string | undefined;
  readonly steps?: readonly OperationStep[] | undefined;
}

export class Runtime {
  readonly #managers = new Map<string, SecretManager>();
  private constructor(
    readonly dataDir: string,
    readonly loaded: LoadedConfig,
    readonly keyring: Keyring,
    readonly providers: ReadonlyMap<string, Provider>,
    readonly warnings: readonly string[],
    readonly options: RuntimeOptions,
  ) {}

  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    const env = options.env ?? process.env;
    const dataDir = resolveDataDir(options.dataDir, env);
    const loaded = options.config ? { config: options.config, path: undefined } : loadConfig(resolveConfigPath(options.configPath, env), env);
    const master = await loadMasterKey({ dataDir, env, ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }) });
    let keyring: Keyring;
    try {
      keyring = await Keyring.open(dataDir, master.key);
    } finally {
      master.key.fill(0);
    }
    const providers = new Map<string, Provider>();
    for (const [name, pc] of Object.entries(loaded.config.providers ?? {})) providers.set(name, createProvider(name, pc, dataDir));
    const steps = [...(await buildSteps({ dataDir, config: loaded.config, env })), ...(options.steps ?? [])];
    return new Runtime(dataDir, loaded, keyring, providers, master.warnings, { ...options, steps });
  }

  get config(): PolyvaultConfig {
    return this.loaded.config;
  }

  provider(name: string): Provider {
    const p = this.providers.get(name);
    if (!p) throw new InvalidInputError(`no provider named '${name}' (configured: ${[...this.providers.keys()].join(", ") || "none"})`);
    return p;
  }

  /** A tenant's primary and mirrors: its entry in `tenants`, else the first file provider. */
  placement(tenant: TenantId): { primary: Provider; mirrors: Provider[] } {
    const entry = this.config.tenants?.[tenant];
    if (entry) return { primary: this.provider(entry.primary), mirrors: (entry.mirrors ?? []).map((m) => this.provider(m)) };
    const firstFile = Object.entries(this.config.providers ?? {}).find(([, pc]) => pc.type === "file")?.[0];
    if (!firstFile) throw new InvalidInputError(`tenant ${tenant} has no entry in tenants and there is no file provider to default to`);
    return { primary: this.provider(firstFile), mirrors: [] };
  }

  manager(tenant: string): SecretManager {
    const id = parseTenantId(tenant);
    let m = this.#managers.get(id);
    if (!m) {
      const { primary, mirrors } = this.placement(id);
      m = new SecretManager({ tenant: id, keyring: this.keyring, primary, mirrors, steps: this.options.steps, actor: this.options.actor });
      this.#managers.set(id, m);
    }
    return m;
  }

  /** Tenants known from configuration and from providers that can list them. */
  async tenants(): Promise<TenantId[]> {
    const out = new Set<string>(Object.keys(this.config.tenants ?? {}));
    for (const p of this.providers.values()) if (p.listTenants) for (const t of await p.listTenants()) out.add(t);
    return [...out].sort().map(parseTenantId);
  }

  async close(): Promise<void> {
    for (const p of this.providers.values()) await p.close();
    this.keyring.close();
  }
}
