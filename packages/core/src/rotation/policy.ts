/**
 * Rotation policies: how often each secret must get a new value and how that value is made.
 * Policies are tried in order; the first whose `tenants` and `secrets` glob match a secret applies,
 * otherwise the default interval (90 days) with a generated value. Globs are picomatch globs over
 * the secret name: `*` stays inside one `/` segment, `**` crosses segments, dots are ordinary.
 */
import picomatch from "picomatch";
import { InvalidInputError } from "../errors.js";

export type RotationStrategy = "blue-green" | "gradual" | "canary";

/** `canary:` of a policy with `strategy: canary` (docs/rotation.md, "Canary"). */
export interface CanaryPolicyConfig {
  /** Provider names, each a sync target of the tenant's primary: they get the new value first. */
  readonly targets: readonly string[];
  /** An executable (and its arguments), run without a shell once the canaries hold the value: exit 0 passes. */
  readonly check?: string | readonly string[] | undefined;
  /** Hand the value to the check in this environment variable instead of on stdin. */
  readonly valueEnv?: string | undefined;
  readonly timeoutSeconds?: number | undefined;
}

export interface ResolvedCanary {
  readonly targets: readonly string[];
  readonly check: readonly string[];
  readonly valueEnv?: string | undefined;
  readonly timeoutMs: number;
}

/** One policy as polyvault.yaml's `rotation.policies[]` gives it (structural: core knows no config file). */
export interface RotationPolicyConfig {
  readonly tenants?: "*" | readonly string[] | undefined;
  readonly secrets: string;
  readonly intervalDays: number;
  /** An executable (and its arguments) whose stdout is the new value; run without a shell. */
  readonly command?: string | readonly string[] | undefined;
  readonly length?: number | undefined;
  readonly alphabet?: string | undefined;
  readonly strategy?: RotationStrategy | undefined;
  readonly timeoutSeconds?: number | undefined;
  readonly canary?: CanaryPolicyConfig | undefined;
}

export interface RotationSettings {
  readonly defaultIntervalDays?: number | undefined;
  /** A secret is `due` this many days before its deadline, `overdue` after it. */
  readonly dueSoonDays?: number | undefined;
  readonly policies?: readonly RotationPolicyConfig[] | undefined;
}

export interface ResolvedPolicy {
  /** "default" or "policies[i]", for messages and `rotation due`. */
  readonly source: string;
  readonly intervalDays: number;
  readonly command?: readonly string[] | undefined;
  readonly length?: number | undefined;
  readonly alphabet?: string | undefined;
  readonly strategy: RotationStrategy;
  readonly timeoutMs: number;
  /** Set when strategy is "canary". */
  readonly canary?: ResolvedCanary | undefined;
}

export const DEFAULT_INTERVAL_DAYS = 90;
export const DEFAULT_DUE_SOON_DAYS = 7;
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 30;

interface Compiled {
  readonly index: number;
  readonly config: RotationPolicyConfig;
  readonly matches: (name: string) => boolean;
}

export class RotationPolicies {
  readonly defaultIntervalDays: number;
  readonly dueSoonDays: number;
  readonly #compiled: Compiled[];

  constructor(settings: RotationSettings = {}) {
    this.defaultIntervalDays = settings.defaultIntervalDays ?? DEFAULT_INTERVAL_DAYS;
    this.dueSoonDays = settings.dueSoonDays ?? DEFAULT_DUE_SOON_DAYS;
    this.#compiled = (settings.policies ?? []).map((config, index) => {
      if (config.command !== undefined && (typeof config.command === "string" ? config.command === "" : config.command.length === 0)) {
        throw new InvalidInputError(`rotation.policies.${index}.command is empty`);
      }
      const problem = canaryProblem(config);
      if (problem) throw new InvalidInputError(`rotation.policies.${index}.${problem}`);
      return { index, config, matches: picomatch(config.secrets, { dot: true }) };
    });
  }

  /** The policy that applies to one secret of one tenant. */
  resolve(tenant: string, name: string): ResolvedPolicy {
    const hit = this.#compiled.find((c) => appliesTo(c.config.tenants, tenant) && c.matches(name));
    if (!hit) return { source: "default", intervalDays: this.defaultIntervalDays, strategy: "blue-green", timeoutMs: DEFAULT_COMMAND_TIMEOUT_SECONDS * 1000 };
    const c = hit.config;
    const command = c.command === undefined ? undefined : typeof c.command === "string" ? [c.command] : [...c.command];
    return {
      source: `policies[${hit.index}]`,
      intervalDays: c.intervalDays,
      command,
      length: c.length,
      alphabet: c.alphabet,
      strategy: c.strategy ?? "blue-green",
      timeoutMs: (c.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000,
      ...(c.canary ? { canary: resolveCanary(c.canary) } : {}),
    };
  }
}

function appliesTo(tenants: RotationPolicyConfig["tenants"], tenant: string): boolean {
  return tenants === undefined || tenants === "*" || tenants.includes(tenant);
}

const argv = (c: string | readonly string[]): string[] => (typeof c === "string" ? [c] : [...c]);

function resolveCanary(c: CanaryPolicyConfig): ResolvedCanary {
  return {
    targets: [...c.targets],
    check: argv(c.check ?? []),
    valueEnv: c.valueEnv,
    timeoutMs: (c.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000,
  };
}

/** The rule of a canary policy; the configuration schema enforces the same (with the same words). */
export const CANARY_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export function canaryProblem(config: Pick<RotationPolicyConfig, "strategy" | "canary">): string | undefined {
  const c = config.canary;
  if (config.strategy === "canary" && !c) return "canary: strategy canary needs a canary block with targets and a check command";
  if (!c) return undefined;
  if (config.strategy !== "canary") return "canary: a canary block needs strategy: canary";
  if (c.targets.length === 0) return "canary.targets: name at least one canary target";
  if (new Set(c.targets).size !== c.targets.length) return "canary.targets: a target is listed twice";
  if (c.check === undefined || argv(c.check).length === 0 || argv(c.check).some((a) => a === ""))
    return "canary.check: a canary policy needs a check command (an executable, or [executable, ...args])";
  if (c.valueEnv !== undefined && (!CANARY_ENV_NAME.test(c.valueEnv) || c.valueEnv.startsWith("POLYVAULT_")))
    return "canary.valueEnv: an environment variable name (letters, digits, '_'), not one of Polyvault's own POLYVAULT_*";
  return undefined;
}
