/**
 * In-process access to a sandbox's data directory, for writing fixtures and checking invariants without
 * paying a CLI start-up per read. Closing also closes the audit log (as the CLI's exit hook does), so the
 * records this process appended are sealed by a signed checkpoint before `audit verify` looks.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Provider, SecretManager, Security, type TenantId, parseTenantId, verifyAuditLog } from "@polyvault/core";
import { Runtime } from "@polyvault/runtime";
import type { CliSandbox } from "../../harness/cli.js";
import { VAULT_TOKEN } from "./size.js";

/** `env` adds to the runtime's environment (e.g. POLYVAULT_TOKEN when the sandbox has access control). */
export async function openRuntime(sb: CliSandbox, env: NodeJS.ProcessEnv = {}): Promise<Runtime> {
  const configPath = join(sb.cwd, "polyvault.yaml");
  return Runtime.open({
    dataDir: sb.home,
    configPath: existsSync(configPath) ? configPath : undefined,
    env: { POLYVAULT_TEST_VAULT_TOKEN: VAULT_TOKEN, ...env },
    pushOnWrite: false,
    actor: "reliability-suite",
  });
}

export async function closeRuntime(rt: Runtime): Promise<void> {
  await rt.close();
  await Security.of(rt.options.steps)?.close();
}

export async function withRuntime<T>(sb: CliSandbox, fn: (rt: Runtime) => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const rt = await openRuntime(sb, env);
  try {
    return await fn(rt);
  } finally {
    await closeRuntime(rt);
  }
}

/** A SecretManager that reads one provider directly (a sync target), with no audit or access steps. */
export function managerOn(rt: Runtime, provider: Provider, tenant: string): SecretManager {
  return new SecretManager({ tenant: parseTenantId(tenant), keyring: rt.keyring, primary: provider });
}

/** Every secret of a tenant in a provider: name → value (UTF-8), reading through Polyvault's crypto. */
export async function readAll(rt: Runtime, provider: Provider, tenant: string): Promise<Map<string, string>> {
  const m = managerOn(rt, provider, tenant);
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await provider.list(tenant as TenantId, { pageSize: 500, ...(cursor === undefined ? {} : { cursor }) });
    for (const h of page.items) {
      if (!h.managed) continue;
      const v = await m.get(h.name);
      out.set(h.name, v.text());
      v.wipe();
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** `polyvault audit verify` in process (the same function the command calls), when the log exists. */
export function auditOk(home: string): { ok: boolean; problem: string } {
  if (!existsSync(join(home, "audit.log"))) return { ok: true, problem: "" };
  const r = verifyAuditLog(home);
  return { ok: r.ok, problem: r.ok ? "" : r.problem };
}
