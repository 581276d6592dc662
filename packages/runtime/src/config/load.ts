/**
 * Loading polyvault.yaml: read, substitute ${ENV} in strings, validate, apply cross-field rules, and
 * fall back to the embedded default when there is no file.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { INPUT_LIMITS, InvalidInputError, isPolyvaultError, readFileBoundedSync } from "@polyvault/core";
import { parseDocument } from "yaml";
import { crossFieldProblems } from "./rules.js";
import { type ProviderRegistry, defaultRegistry } from "../providers/registry.js";
import { PolyvaultConfig, polyvaultConfigSchema } from "./schema.js";

/** The schema of polyvault.yaml for a registry of provider types (the built-in one by default). */
export function configSchemaFor(registry: ProviderRegistry = defaultRegistry): typeof PolyvaultConfig {
  if (registry === defaultRegistry) return PolyvaultConfig;
  // A registry with more types: the same file, with its `providers:` union (typed as the built-in one).
  return polyvaultConfigSchema(registry.configSchema()) as unknown as typeof PolyvaultConfig;
}

export interface LoadedConfig {
  readonly config: PolyvaultConfig;
  /** The file it came from; undefined for the embedded default. */
  readonly path: string | undefined;
}

/** The embedded default: one file provider named `local`, every tenant's primary. */
export const EMBEDDED_DEFAULT: PolyvaultConfig = { providers: { local: { type: "file" } } };

export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  if (env.POLYVAULT_CONFIG) return resolve(cwd, env.POLYVAULT_CONFIG);
  const local = resolve(cwd, "polyvault.yaml");
  return existsSync(local) ? local : undefined;
}

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env, registry: ProviderRegistry = defaultRegistry): LoadedConfig {
  if (path === undefined) return { config: EMBEDDED_DEFAULT, path: undefined };
  let text: string;
  try {
    text = readFileBoundedSync(path, INPUT_LIMITS.config, `configuration file ${path}`).toString("utf8");
  } catch (err) {
    if (isPolyvaultError(err)) throw err;
    throw new InvalidInputError(`cannot read configuration file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { config: parseConfig(text, path, env, registry), path };
}

export function parseConfig(text: string, origin: string, env: NodeJS.ProcessEnv = process.env, registry: ProviderRegistry = defaultRegistry): PolyvaultConfig {
  let raw: unknown;
  try {
    // Warnings (an unknown tag such as !!js/function) are errors here: a configuration means one thing.
    const doc = parseDocument(text, { prettyErrors: true, logLevel: "silent" });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new InvalidInputError(`${origin}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (raw === null || raw === undefined) raw = {};
  const missing: string[] = [];
  const substituted = substitute(raw, env, missing, "", new WeakSet(), origin);
  if (missing.length) throw new InvalidInputError(`${origin}: ${missing.join("; ")}`);
  const r = configSchemaFor(registry).safeParse(substituted);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new InvalidInputError(`${origin} is not a valid configuration:\n  ${lines.join("\n  ")}`);
  }
  const problems = crossFieldProblems(r.data);
  if (problems.length) throw new InvalidInputError(`${origin} is not a valid configuration:\n  ${problems.join("\n  ")}`);
  return r.data;
}

/** Replaces ${VAR} in every string; an unset variable is an error naming the path and variable. */
function substitute(value: unknown, env: NodeJS.ProcessEnv, missing: string[], path: string, seen: WeakSet<object>, origin: string): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        missing.push(`${path || "(top level)"}: environment variable ${name} is not set`);
        return "";
      }
      return v;
    });
  }
  if (value && typeof value === "object") {
    // A YAML alias can make the document contain itself; refuse it rather than recurse forever.
    if (seen.has(value)) throw new InvalidInputError(`${origin}: recursive YAML alias at ${path || "(top level)"}`);
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, missing, `${path}.${i}`, seen, origin));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env, missing, path ? `${path}.${k}` : k, seen, origin)]));
    } finally {
      seen.delete(value);
    }
  }
  return value;
}
