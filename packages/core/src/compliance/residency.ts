/**
 * Data residency: every store holding the tenant's data sits in an allowed location. What counts as a
 * store's location:
 *   file   "local"                           (the machine that runs Polyvault)
 *   aws    the configured region             ("eu-west-1"; an `endpoint` override does not change it)
 *   azure  the vault URL's host              ("contoso-eu.vault.azure.net": Key Vault URLs carry no region)
 *   vault  the address's host                ("vault.eu.example.com")
 * `compliance.allowedRegions` holds globs matched against it, case-insensitively ("eu-*", "*.eu.example.com").
 */
import picomatch from "picomatch";
import type { ComplianceInput, ControlOutcome } from "./types.js";

export interface LocatableConfig {
  readonly type: string;
  readonly region?: string | undefined;
  readonly vaultUrl?: string | undefined;
  readonly address?: string | undefined;
}

function host(url: string | undefined): string {
  try {
    return url ? new URL(url).hostname.toLowerCase() : "unknown";
  } catch {
    return "unknown";
  }
}

export function providerLocation(config: LocatableConfig): string {
  switch (config.type) {
    case "file":
      return "local";
    case "aws":
      return config.region?.toLowerCase() ?? "unknown";
    case "azure":
      return host(config.vaultUrl);
    case "vault":
      return host(config.address);
    default:
      return "unknown";
  }
}

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
