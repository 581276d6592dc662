/**
 * How `polyvault run` turns a tenant's secret names into environment variable names (docs/run.md):
 * every character that is not a letter, a digit or `_` becomes `_` (`db/url` → `db_url`,
 * `api.key-2` → `api_key_2`), and a name that then starts with a digit gets a leading `_`. Case is kept.
 * Two secrets that map to one variable are refused, never one silently dropped.
 */
import { InvalidInputError } from "@polyvault/core";

export function envVarName(secretName: string): string {
  const mapped = secretName.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(mapped) ? `_${mapped}` : mapped;
}

/** Variable name → secret name, in the order given; InvalidInputError naming every collision. */
export function envVarNames(secretNames: readonly string[]): Map<string, string> {
  const byVar = new Map<string, string[]>();
  for (const name of secretNames) {
    const v = envVarName(name);
    byVar.set(v, [...(byVar.get(v) ?? []), name]);
  }
  const collisions = [...byVar].filter(([, names]) => names.length > 1);
  if (collisions.length > 0) {
    const list = collisions.map(([v, names]) => `${names.map((n) => JSON.stringify(n)).join(" and ")} → ${v}`).join("; ");
    throw new InvalidInputError(`secrets map to the same environment variable: ${list}; rename one, or leave one out with --only`);
  }
  return new Map([...byVar].map(([v, names]) => [v, names[0] as string]));
}
