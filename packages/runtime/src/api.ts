/**
 * The library entry points of the original system, in TypeScript idiom:
 * getSecretManager(tenant), loadEnvironmentSecrets(tenant, file?), getSpotifyCredentials(tenant), and a
 * loader whose secureContext() wipes every value it handed out when it closes.
 * They share one Runtime per process, opened from the environment ($POLYVAULT_HOME, $POLYVAULT_CONFIG,
 * $POLYVAULT_MASTER_KEY / $POLYVAULT_PASSPHRASE) unless options are given.
 */
import { readFile } from "node:fs/promises";
import { InvalidInputError, type SecretManager, type SecretValue, type SpotifyCredentials, parseSecretName, readBundle, spotifyBundle } from "@polyvault/core";
import { parseEnvFile } from "./dotenv.js";
import { Runtime, type RuntimeOptions } from "./runtime.js";

let shared: Promise<Runtime> | undefined;

/** The process-wide runtime (opened on first use). */
export function defaultRuntime(options?: RuntimeOptions): Promise<Runtime> {
  if (options) return Runtime.open(options);
  shared ??= Runtime.open().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/** Closes the process-wide runtime (wipes cached keys). */
export async function closeDefaultRuntime(): Promise<void> {
  const rt = shared;
  shared = undefined;
  if (rt) await (await rt).close();
}

export async function getSecretManager(tenant: string, options?: RuntimeOptions): Promise<SecretManager> {
  return (await defaultRuntime(options)).manager(tenant);
}

/** Imports every variable of a .env file (default ./.env) as a secret of the tenant; returns the names. */
export async function loadEnvironmentSecrets(tenant: string, file = ".env", options?: RuntimeOptions): Promise<string[]> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new InvalidInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const vars = parseEnvFile(buf, file);
  buf.fill(0);
  for (const key of Object.keys(vars)) parseSecretName(key);
  const manager = await getSecretManager(tenant, options);
  for (const [key, value] of Object.entries(vars)) await manager.set(key, value);
  return Object.keys(vars);
}

export async function getSpotifyCredentials(tenant: string, options?: RuntimeOptions): Promise<SpotifyCredentials> {
  return readBundle(await getSecretManager(tenant, options), spotifyBundle);
}

/** A scope whose values are wiped when it closes (`await using ctx = await loader.secureContext()`). */
export class SecureContext implements AsyncDisposable {
  readonly #manager: SecretManager;
  readonly #handed: SecretValue[] = [];
  #closed = false;

  constructor(manager: SecretManager) {
    this.#manager = manager;
  }

  get manager(): SecretManager {
    return this.#manager;
  }

  async get(name: string, options?: { version?: number }): Promise<SecretValue> {
    if (this.#closed) throw new InvalidInputError("this secure context is closed");
    const v = await this.#manager.get(name, options);
    this.#handed.push(v);
    return v;
  }

  /** How many values it handed out (all wiped once closed). */
  get handedOut(): number {
    return this.#handed.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const v of this.#handed) v.wipe();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export class SecretLoader {
  constructor(
    readonly tenant: string,
    readonly options?: RuntimeOptions,
  ) {}

  async secureContext(): Promise<SecureContext> {
    return new SecureContext(await getSecretManager(this.tenant, this.options));
  }
}
