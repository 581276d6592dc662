import type { Command } from "commander";
import { Keyring, initMasterKey, loadMasterKey } from "@polyvault/core";
import { resolveDataDir } from "@polyvault/runtime";
import { readPassphrase } from "../passphrase.js";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";

export function registerInit(program: Command, run: Runner): void {
  program
    .command("init")
    .description("create the data directory and its keys (refuses to overwrite existing keys)")
    .option("--passphrase-stdin", "derive the master key from a passphrase read from stdin (scrypt) instead of a random key file")
    .action(
      run(async (ctx, opts: { passphraseStdin?: boolean }) => {
        const dataDir = resolveDataDir(ctx.globals.dataDir, ctx.io.env);
        const passphrase = opts.passphraseStdin ? await readPassphrase(ctx.io.stdin) : undefined;
        const created = await initMasterKey(dataDir, passphrase === undefined ? {} : { passphrase });
        created.key.fill(0);
        const master = await loadMasterKey({ dataDir, env: {}, ...(passphrase === undefined ? {} : { passphrase }) });
        const keyring = await Keyring.open(dataDir, master.key);
        master.key.fill(0);
        const info = { dataDir, masterKey: created.source, origin: created.origin, keyVersion: keyring.current };
        keyring.close();
        ctx.out.result(info, () => [
          `Initialised ${dataDir}`,
          `  master key: ${created.source === "passphrase" ? "derived from your passphrase (scrypt)" : created.origin} — back it up; without it nothing can be decrypted`,
          `  key version: ${info.keyVersion}`,
        ]);
        return EXIT.OK;
      }),
    );
}
