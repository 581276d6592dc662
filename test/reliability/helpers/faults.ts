/**
 * The fault-injection bench: toxiproxy (TCP faults) and an HTTP burst proxy (429/503) in front of each
 * provider server that is up, and a sandbox whose polyvault.yaml reaches each server through both:
 *   <p>t — through toxiproxy (latency, bandwidth, slicing, resets, black hole)
 *   <p>b — through the burst proxy (429 / 503 bursts and outages)
 *   <p>td, <p>bd — the same stores reached directly, to check what landed without going through the fault
 * Routes `tox-<p>` and `burst-<p>` mirror the file provider `local` to them (tenant `fault`).
 * Azure gets a vault of its own (a private instance of the project's test Key Vault) unless
 * POLYVAULT_TEST_AZURE_URL names one: Key Vault lists without a prefix filter, so in the shared vault
 * every list would page through every other suite's secrets, and under 16 KB/s that alone takes minutes.
 */
import type { BurstProxy } from "../../fault/http-burst.mjs";
import { burstProxy } from "../../fault/http-burst.mjs";
import * as toxiproxy from "../../fault/toxiproxy.mjs";
import { type KeyVaultServer, createKeyVaultServer } from "../../emulators/keyvault/server.mjs";
import { type CliSandbox, sandbox } from "../../harness/cli.js";
import { AWS_ENDPOINT, AZURE_URL, VAULT_ADDR, notRun } from "./size.js";

export type ServerType = "aws" | "vault" | "azure";
/** Behind toxiproxy: room for slicing and latency on a loaded 2-core machine (the bounds scale with it). */
export const TIMEOUT_MS = 5000;
/**
 * Behind the burst proxy. Its refusals (429/503) come back at once, so this bound only meets the real
 * server's answers: at 2,000 ms a loaded machine (load 30+, moto shared with every suite) timed out
 * the apply after a 503 outage on all three providers while the scenario passed alone.
 */
export const BURST_TIMEOUT_MS = 5000;

export interface Bench {
  readonly sb: CliSandbox;
  readonly types: ServerType[];
  readonly toxic: Record<string, string>;
  readonly burst: Record<string, BurstProxy>;
  close(): Promise<void>;
}

/** Toxiproxy relays TCP: TLS stays end to end, so an https server is reached as https through it. */
const scheme = (t: ServerType) => (t === "azure" ? "https" : "http");

function providerYaml(t: ServerType, url: string, prefix: string, timeoutMs: number): string {
  const common = `prefix: "${prefix}", timeoutMs: ${timeoutMs}`;
  if (t === "aws") return `{ type: aws, region: us-east-1, endpoint: "${url}", credentials: { accessKeyId: test, secretAccessKey: test }, ${common} }`;
  if (t === "azure")
    return `{ type: azure, vaultUrl: "${url}", credential: { kind: static, token: fault }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, ${common} }`;
  return `{ type: vault, address: "${url}", token: "\${POLYVAULT_TEST_VAULT_TOKEN}", mount: secret, ${common} }`;
}

/**
 * `withToxiproxy: false` builds only the burst proxies. Toxiproxy itself is started and stopped by the
 * reliability project's global set-up (helpers/toxiproxy-setup.ts), never by a suite file.
 */
export async function openBench(label: string, withToxiproxy = true): Promise<Bench> {
  const types = (["aws", "vault", "azure"] as const).filter((t) => !notRun(t));
  if (withToxiproxy) await toxiproxy.running();
  const run = `${label}${Date.now().toString(36)}`;
  let ownVault: KeyVaultServer | undefined;
  if (types.includes("azure") && !process.env.POLYVAULT_TEST_AZURE_URL) ownVault = await createKeyVaultServer({ port: 0 });
  const endpoint = (t: ServerType) => ({ aws: AWS_ENDPOINT, vault: VAULT_ADDR, azure: ownVault?.url ?? AZURE_URL })[t];
  const toxic: Record<string, string> = {};
  const burst: Record<string, BurstProxy> = {};
  const lines = ["providers:", "  local: { type: file }"];
  const routes = ["routes:"];
  for (const t of types) {
    if (withToxiproxy) {
      const up = new URL(endpoint(t));
      const p = await toxiproxy.createProxy(`pv-${run}-${t}`, `${up.hostname}:${up.port}`);
      toxic[t] = p.name;
      lines.push(`  ${t}t: ${providerYaml(t, `${scheme(t)}://${p.listen}`, `${run}t`, TIMEOUT_MS)}`);
      lines.push(`  ${t}td: ${providerYaml(t, endpoint(t), `${run}t`, 10_000)}`);
      routes.push(`  tox-${t}: { source: local, targets: [${t}t], tenants: [fault], prune: true }`);
    }
    const b = await burstProxy(endpoint(t), t, t === "azure" && ownVault ? { ca: ownVault.ca } : {});
    burst[t] = b;
    lines.push(`  ${t}b: ${providerYaml(t, b.url, `${run}b`, BURST_TIMEOUT_MS)}`);
    lines.push(`  ${t}bd: ${providerYaml(t, endpoint(t), `${run}b`, 10_000)}`);
    routes.push(`  burst-${t}: { source: local, targets: [${t}b], tenants: [fault], prune: true }`);
  }
  const sb = sandbox({ prefix: label, config: `${[...lines, ...routes].join("\n")}\n` });
  return {
    sb,
    types,
    toxic,
    burst,
    async close() {
      for (const t of types) {
        if (toxic[t]) await toxiproxy.deleteProxy(toxic[t]);
        await burst[t]?.close();
      }
      await ownVault?.close();
    },
  };
}

export { toxiproxy };
