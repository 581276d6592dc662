/**
 * Data residency: every store holding the tenant's data sits in an allowed location. A store's location
 * comes from its provider's descriptor (`location()`, e.g. the aws region, the vault host, "local" for
 * files), looked up by the runtime's provider registry. `compliance.allowedRegions` holds globs matched against it, case-insensitively ("eu-*", "*.eu.example.com").
 */
import picomatch from "picomatch";
import type { ComplianceInput, ControlOutcome } from "./types.js";

export async function dataResidency(input: ComplianceInput): Promise<ControlOutcome> {
  const allowed = input.settings?.allowedRegions ?? [];
  if (allowed.length === 0) return { pass: false, evidence: "compliance.allowedRegions is not set: there is no allowlist to check the stores against" };
  const ok = picomatch(
    allowed.map((a) => a.toLowerCase()),
    { dot: true },
  );
  const seen = input.stores.map((s) => ({ name: s.provider.name, location: s.location, ok: ok(s.location.toLowerCase()) }));
  const bad = seen.filter((s) => !s.ok);
  const list = (xs: typeof seen) => xs.map((s) => `${s.name} in ${s.location}`).join(", ");
  if (bad.length) return { pass: false, evidence: `outside the allowlist (${allowed.join(", ")}): ${list(bad)}` };
  return { pass: true, evidence: `${list(seen)}; all within the allowlist (${allowed.join(", ")})` };
}
