/**
 * Key age and key use. The tenant's data key for version n is derived from key version n, so its age
 * is that version's age and its use is the number of stored versions sealed under it (counted from
 * ciphertext headers in the primary: nothing decrypted). Data still sealed under a retired version
 * cannot be opened any more, which fails the use control too.
 */
import { keyUsage } from "../manager/rewrap.js";
import { DAY_MS } from "../rotation/schedule.js";
import type { ComplianceInput, ControlOutcome } from "./types.js";

export const DEFAULT_MAX_KEY_AGE_DAYS = 365;
/** NIST SP 800-38D's bound for one AES-GCM key with random nonces; each message here even has its own derived key. */
export const DEFAULT_MAX_KEY_USES = 2 ** 32;

export async function keyAge(input: ComplianceInput, now: Date): Promise<ControlOutcome> {
  const max = input.settings?.maxKeyAgeDays ?? DEFAULT_MAX_KEY_AGE_DAYS;
  const current = input.keyring.versions().find((v) => v.version === input.keyring.current);
  if (!current) return { pass: false, evidence: `current key version ${input.keyring.current} is not in the keyring` };
  const days = Math.floor((now.getTime() - current.createdAt.getTime()) / DAY_MS);
  const pass = days <= max;
  return {
    pass,
    evidence: `current key version ${current.version} created ${current.createdAt.toISOString()}, ${days} day(s) ago (limit ${max})${pass ? "" : "; run `polyvault keys rotate` then `keys rewrap`"}`,
  };
}

export async function keyUse(input: ComplianceInput): Promise<ControlOutcome> {
  const max = input.settings?.maxKeyUses ?? DEFAULT_MAX_KEY_USES;
  const primary = input.stores.find((s) => s.role === "primary");
  if (!primary) return { pass: false, evidence: "the tenant has no primary store" };
  const counts = await keyUsage(input.tenant, primary.provider);
  const states = new Map(input.keyring.versions().map((v) => [v.version, v.state]));
  const problems: string[] = [];
  for (const [version, n] of counts) {
    if (states.get(version) !== "active") problems.push(`${n} version(s) under key version ${version}, which is retired or unknown (unreadable)`);
    if (n > max) problems.push(`key version ${version} protects ${n} versions (limit ${max}); rotate keys and rewrap`);
  }
  const usage =
    [...counts]
      .sort((a, b) => a[0] - b[0])
      .map(([v, n]) => `v${v}: ${n}`)
      .join(", ") || "no stored versions";
  return {
    pass: problems.length === 0,
    evidence: problems.length ? problems.join("; ") : `stored versions per key version: ${usage} (limit ${max}); none under retired keys`,
  };
}
