/**
 * The runtime: configuration, data directory, master key and keyring, providers (each behind its
 * gate: concurrency, rate budget, circuit breaker), one SecretManager per tenant, and the sync engine,
 * wired the same way for the CLI and the HTTP gateway.
 */
import { join } from "node:path";
import {
  type ChangeEvent,
  FAILOVER_POLICY,
  InvalidInputError,
  type MirrorRecord,
  Keyring,
  Security,
  type MirrorStore,
  type OperationStep,
  type Passphrase,
  type Provider,
  SecretManager,
  type TenantId,
  dataDirWritableByOthers,
  loadMasterKey,
  parseTenantId,
} from "@polyvault/core";
import {
  type CallCounts,
  PgStateStore,
  type ProviderGate,
  type RouteSpec,
  SignedStateStore,
  SqliteStateStore,
  type StateStore,
  SyncEngine,
  deriveStateKey,
  pushWarnings,
} from "@polyvault/sync";
import { type LoadedConfig, loadConfig, resolveConfigPath } from "./config/load.js";
import type { PolyvaultConfig } from "./config/schema.js";
import { resolveDataDir } from "./data-dir.js";
import { type ProviderRegistry, defaultRegistry } from "./providers/registry.js";
import { type ProviderSet, closeProviderSets, createProviderSets } from "./providers/sets.js";
import { refuseNewKeyringOverSecrets } from "./keyring-guard.js";
import { mirrorRecordOf, resolveRoutes } from "./routes.js";
import { buildSteps } from "./steps.js";
import { type TenantStore, storeEncryption, tenantStores } from "./stores.js";

/** How long a failover read waits for the primary before asking the mirrors. */
export const FAILOVER_TIMEOUT_MS = FAILOVER_POLICY.timeoutMs;

export interface RuntimeOptions {
  readonly dataDir?: string | undefined;
  readonly configPath?: string | undefined;
  /** A configuration to use instead of loading one (the demo uses the embedded default). */
  readonly config?: PolyvaultConfig | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly passphrase?: Passphrase | undefined;
  readonly actor?: string | undefined;
  readonly steps?: readonly OperationStep[] | undefined;
  /** The provider types it knows (default: the built-in registry; `defaultRegistry.with(…)` adds some). */
  readonly registry?: ProviderRegistry | undefined;
  /** Sync the routes of a secret changed through this runtime (default true). */
  readonly pushOnWrite?: boolean | undefined;
}

export class Runtime {
  readonly #managers = new Map<string, SecretManager>();
  readonly #pushes = new Set<Promise<unknown>>();
  #state: StateStore | undefined;
  #engine: SyncEngine | undefined;
  /** Push-on-write failures (the write itself succeeded; the schedule will catch up). */
  readonly pushErrors: Array<{ tenant: string; name: string; error: unknown }> = [];

  private constructor(
    readonly dataDir: string,
    readonly loaded: LoadedConfig,
    readonly keyring: Keyring,
    readonly sets: ReadonlyMap<string, ProviderSet>,
    readonly warnings: readonly string[],
    readonly options: RuntimeOptions,
    stateKey: Buffer,
  ) {
    this.#stateKey = stateKey;
  }

  readonly #stateKey: Buffer;

  static async open(options: RuntimeOptions = {}): Promise<Runtime> {
    const env = options.env ?? process.env;
    const dataDir = resolveDataDir(options.dataDir, env);
    const loaded = options.config ? { config: options.config, path: undefined } : loadConfig(resolveConfigPath(options.configPath, env), env, options.registry);
    const master = await loadMasterKey({ dataDir, env, ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }) });
    let sets: Map<string, ProviderSet> | undefined;
    let keyring: Keyring;
    // The key that authenticates sync state records (see @polyvault/sync's signed.ts).
    const stateKey = deriveStateKey(master.key);
    try {
      sets = await createProviderSets(loaded, dataDir, options.registry ?? defaultRegistry);
      const providers = new Map([...sets].map(([n, s]) => [n, s.provider]));
      // A missing keyring is created only where no configured store holds a Polyvault secret (issue 15.6).
      const keyringPath = join(dataDir, "keys", "keyring.json");
      keyring = await Keyring.open(dataDir, master.key, { ifMissing: () => refuseNewKeyringOverSecrets(keyringPath, loaded.config, providers) });
    } catch (err) {
      await closeProviderSets(sets?.values() ?? []);
      throw err;
    } finally {
      master.key.fill(0);
    }
    const steps = [...(await buildSteps({ dataDir, config: loaded.config, env, actor: options.actor })), ...(options.steps ?? [])];
    const warnings = [...(await dataDirWritableByOthers(dataDir)), ...master.warnings];
    return new Runtime(dataDir, loaded, keyring, sets, warnings, { ...options, steps }, stateKey);
  }

  get config(): PolyvaultConfig {
    return this.loaded.config;
  }

  get providers(): ReadonlyMap<string, Provider> {
    return new Map([...this.sets].map(([n, s]) => [n, s.provider]));
  }

  provider(name: string): Provider {
    return this.#set(name).provider;
  }

  /** Where a configured provider keeps its data (its descriptor's location: region, host or "local"). */
  location(name: string): string {
    const pc = this.config.providers?.[name];
    return pc ? (this.options.registry ?? defaultRegistry).location(pc) : "unknown";
  }

  /** Provider calls made by this process, per provider. */
  calls(): Record<string, CallCounts> {
    return Object.fromEntries([...this.sets].map(([n, s]) => [n, { ...s.calls }]));
  }

  gate(name: string): ProviderGate {
    return this.#set(name).gate;
  }

  #set(name: string): ProviderSet {
    const s = this.sets.get(name);
    if (!s) throw new InvalidInputError(`no provider named '${name}' (configured: ${[...this.sets.keys()].join(", ") || "none"})`);
    return s;
  }

  /** A tenant's primary and mirrors: its entry in `tenants`, else the first file provider. */
  placement(tenant: TenantId): { primary: Provider; mirrors: Provider[] } {
    // Object.hasOwn: a tenant id such as `constructor` is not a property of the parsed object.
    const tenants = this.config.tenants;
    const entry = tenants && Object.hasOwn(tenants, tenant) ? tenants[tenant] : undefined;
    if (entry) return { primary: this.provider(entry.primary), mirrors: (entry.mirrors ?? []).map((m) => this.provider(m)) };
    const firstFile = Object.entries(this.config.providers ?? {}).find(([, pc]) => pc.type === "file")?.[0];
    if (!firstFile) throw new InvalidInputError(`tenant ${tenant} has no entry in tenants and there is no file provider to default to`);
    return { primary: this.provider(firstFile), mirrors: [] };
  }

  /** Every store of the tenant's data and the form each holds it in (configuration only), the primary first. */
  stores(tenant: TenantId): TenantStore[] {
    return tenantStores(this.config, tenant, this.placement(tenant), (name) => this.provider(name));
  }

  /** The tenant's mirrors with the encryption configuration gives each (for failover reads). */
  mirrorStores(tenant: TenantId, wrap: (p: Provider) => Provider = (p) => p): MirrorStore[] {
    return this.placement(tenant).mirrors.map((m) => ({ provider: wrap(m), encryption: storeEncryption(this.config, tenant, m.name) }));
  }

  manager(tenant: string): SecretManager {
    const id = parseTenantId(tenant);
    let m = this.#managers.get(id);
    if (!m) {
      const { primary } = this.placement(id);
      const set = this.#set(primary.name);
      m = new SecretManager({
        tenant: id,
        keyring: this.keyring,
        primary,
        readPrimary: set.fast,
        readPrimaryRefusing: () => set.gate.refusing,
        mirrors: this.mirrorStores(id),
        mirrorRecord: (mirror, name) => this.mirrorRecord(id, mirror, name),
        steps: this.options.steps,
        actor: this.options.actor,
      });
      if (this.options.pushOnWrite !== false && Object.keys(this.config.routes ?? {}).length) m.onChange((e) => this.#push(e, primary.name));
      this.#managers.set(id, m);
    }
    return m;
  }

  /**
   * What vouches for a mirror's copy in a failover read: the newest authenticated record of a route
   * into that mirror for this secret, with the encryption mode that route's target is configured with.
   */
  async mirrorRecord(tenant: TenantId, mirror: string, name: string): Promise<MirrorRecord | undefined> {
    return mirrorRecordOf(this.config, await this.state(), tenant, mirror, name);
  }

  #push(e: ChangeEvent, provider: string): void {
    const p = this.sync()
      .then(async (engine) => {
        const runs = await engine.push(e.tenant, e.name, provider);
        for (const w of pushWarnings(runs, engine.routes)) this.pushErrors.push({ tenant: e.tenant, name: e.name, error: new Error(w.message) });
      })
      .catch((error: unknown) => {
        const message = `pushing it to its mirrors failed (${(error as Error).message}); run \`polyvault sync apply\` to push it (scheduled routes retry on their next run)`;
        this.pushErrors.push({ tenant: e.tenant, name: e.name, error: new Error(message) });
      })
      .finally(() => this.#pushes.delete(p));
    this.#pushes.add(p);
  }

  /** Waits for push-on-write syncs started by this runtime. */
  async flushPushes(): Promise<void> {
    while (this.#pushes.size) await Promise.all([...this.#pushes]);
  }

  /** Tenants known from configuration and from providers that can list them. */
  async tenants(): Promise<TenantId[]> {
    const out = new Set<string>(Object.keys(this.config.tenants ?? {}));
    for (const p of this.providers.values()) if (p.listTenants) for (const t of await p.listTenants()) out.add(t);
    return [...out].sort().map(parseTenantId);
  }

  /** `state: "sqlite"` (or none): the file in the data directory; a postgres:// URL: the shared store. */
  async state(): Promise<StateStore> {
    if (this.#state) return this.#state;
    const where = this.config.state;
    if (where === undefined || where === "sqlite") {
      this.#state = new SignedStateStore(new SqliteStateStore(join(this.dataDir, "state.db")), this.#stateKey);
      return this.#state;
    }
    const store = await PgStateStore.open(where); // refuses anything but a postgres:// or postgresql:// URL
    if (this.#state) {
      await store.close(); // a concurrent call opened one first
      return this.#state;
    }
    this.#state = new SignedStateStore(store, this.#stateKey);
    return this.#state;
  }

  /** Routes resolved against the live providers ("*" = every known tenant). */
  async routes(): Promise<RouteSpec[]> {
    const primaryOf = (tenant: TenantId): string | undefined => {
      try {
        return this.placement(tenant).primary.name;
      } catch {
        return undefined;
      }
    };
    return resolveRoutes({ config: this.config, provider: (name) => this.provider(name), primaryOf }, await this.tenants());
  }

  async sync(): Promise<SyncEngine> {
    this.#engine ??= new SyncEngine({ routes: await this.routes(), state: await this.state(), keyring: this.keyring });
    return this.#engine;
  }

  async close(): Promise<void> {
    await this.flushPushes();
    for (const s of this.sets.values()) {
      await s.provider.close();
      await s.fast.close();
    }
    await this.#state?.close();
    // Signs the audit log's final checkpoint (and prunes past retention).
    await Security.of(this.options.steps)?.close();
    this.keyring.close();
    this.#stateKey.fill(0);
  }
}
