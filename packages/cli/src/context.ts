/** What every command gets: the output, the io, and the runtime opened on first use. */
import { Runtime } from "@polyvault/runtime";
import type { Io, Output } from "./output.js";
import { type Progress, progressBar } from "./progress.js";

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
    if (this.#runtime) return this.#runtime;
    this.#runtime = await Runtime.open({
      pushOnWrite: options.pushOnWrite,
      dataDir: this.globals.dataDir,
      configPath: this.globals.config,
      env: this.io.env,
      actor: this.io.env.POLYVAULT_ACTOR ?? "local-operator",
    });
    // Things to fix that did not stop the command (a data directory others can write, …).
    for (const w of this.#runtime.warnings) this.io.stderr.write(`polyvault: warning: ${w}\n`);
    return this.#runtime;
  }

  /**
   * What every operation of the runtime gets from the CLI (runtime/src/operations: they authorize and
   * audit themselves): a progress bar on a terminal. The caller is the runtime's ($POLYVAULT_TOKEN).
   */
  ops(): { progress: (label: string) => Progress } {
    return { progress: (label) => progressBar(this, label) };
  }

  /** Where an operation that must not open the runtime first (backup verify, restore) finds its installation. */
  installation(): { dataDir: string | undefined; configPath: string | undefined; env: NodeJS.ProcessEnv; progress: (label: string) => Progress } {
    return { dataDir: this.globals.dataDir, configPath: this.globals.config, env: this.io.env, ...this.ops() };
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
