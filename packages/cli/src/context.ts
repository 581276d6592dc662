/** What every command gets: the output, the io, and the runtime opened on first use. */
import { LOCAL_OPERATOR, type Permission, Security } from "@polyvault/core";
import { Runtime, loadConfig, openSecurity, resolveConfigPath, resolveDataDir } from "@polyvault/runtime";
import type { Io, Output } from "./output.js";

export interface GlobalOptions {
  json?: boolean;
  config?: string;
  dataDir?: string;
  passphraseStdin?: boolean;
}

export class Context {
  #runtime: Runtime | undefined;
  constructor(
    readonly io: Io,
    readonly out: Output,
    readonly globals: GlobalOptions,
  ) {}

  /** The runtime, opened on first use (`pushOnWrite: false` for commands that sync on their own). */
  async runtime(options: { pushOnWrite?: boolean } = {}): Promise<Runtime> {
    this.#runtime ??= await Runtime.open({
      pushOnWrite: options.pushOnWrite,
      dataDir: this.globals.dataDir,
      configPath: this.globals.config,
      env: this.io.env,
      actor: this.io.env.POLYVAULT_ACTOR ?? "local-operator",
    });
    return this.#runtime;
  }

  /** Checks that the caller may do `permission` on `tenant` ("*": every tenant / no tenant); audited when denied. */
  async authorize(tenant: string, permission: Permission): Promise<void> {
    await Security.authorizeSteps((await this.runtime()).options.steps, tenant, permission);
  }

  /**
   * The same check without opening the runtime (a restore into an empty data directory must not
   * create a keyring first): configuration and token only.
   */
  async authorizeWithoutRuntime(tenant: string, permission: Permission): Promise<void> {
    const env = this.io.env;
    const dataDir = resolveDataDir(this.globals.dataDir, env);
    const { config } = loadConfig(resolveConfigPath(this.globals.config, env), env);
    const security = openSecurity({ dataDir, config, env });
    try {
      const principal = await security.authenticate(env.POLYVAULT_TOKEN, env.POLYVAULT_ACTOR ?? LOCAL_OPERATOR);
      if (security.enforcing) await security.authorize(principal, tenant, permission);
      // The operation is audited (fail closed: no record, no operation); closing then seals the log,
      // including records a killed process left unsigned.
      await security.record({ actor: principal, action: permission, outcome: "ok", tenant, reason: "started" });
    } finally {
      await security.close();
    }
  }

  async close(): Promise<void> {
    const rt = this.#runtime;
    if (!rt) return;
    await rt.flushPushes();
    for (const p of rt.pushErrors) {
      this.io.stderr.write(
        // The runtime's message says what was not done and whether anything will retry it (often nothing will).
        `polyvault: warning: the change to ${p.tenant}/${p.name} is stored, but ${(p.error as Error).message}\n`,
      );
    }
    await rt.close();
  }
}
