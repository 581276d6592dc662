/** What every command gets: the output, the io, and the runtime opened on first use. */
import { Runtime } from "@polyvault/runtime";
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

  async runtime(): Promise<Runtime> {
    this.#runtime ??= await Runtime.open({
      dataDir: this.globals.dataDir,
      configPath: this.globals.config,
      env: this.io.env,
      actor: this.io.env.POLYVAULT_ACTOR ?? "local-operator",
    });
    return this.#runtime;
  }

  async close(): Promise<void> {
    const rt = this.#runtime;
    if (!rt) return;
    await rt.flushPushes();
    for (const p of rt.pushErrors) {
      this.io.stderr.write(`polyvault: warning: the change to ${p.tenant}/${p.name} is stored, but pushing it to its mirrors failed (${(p.error as Error).message}); the next scheduled sync will retry\n`);
    }
    await rt.close();
  }
}
