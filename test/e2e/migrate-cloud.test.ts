/**
 * Migration acceptance on the real servers: a 500-secret tenant moved from aws to vault and to azure
 * (the project's test Key Vault), with names that need mapping; preflight reports an oversize value and a
 * colliding name before any write; after fixing them, `migrate --verify --cutover` succeeds and reads
 * come from the new provider.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { SecretClient } from "@azure/keyvault-secrets";
import { listAll, parseTenantId } from "@polyvault/core";
import { createAzureNameCodec } from "@polyvault/provider-azure";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { cli as runCli, sandbox } from "../harness/cli.js";

const AWS = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const AZURE = process.env.POLYVAULT_TEST_AZURE_URL ?? "https://localhost:8443";
const run = Date.now().toString(36);

/** Names that need mapping in the targets: case pairs, separators, nesting. */
const NAMES = Array.from({ length: 490 }, (_, i) => ["db/url", "A_B", "a_b", "a-b", "x.y", "Mixed/Case.Name_1"][i % 6] + `-${i}`).concat(
  Array.from({ length: 8 }, (_, i) => `plain${i}`),
);

interface Target {
  readonly name: "vault" | "azure";
  readonly yaml: string;
  /** Plant a secret Polyvault does not manage at the native name for (tenant, name). */
  plant(tenant: string, name: string): Promise<void>;
  unplant(tenant: string, name: string): Promise<void>;
}

const vaultTarget: Target = {
  name: "vault",
  yaml: `  vault: { type: vault, address: "${VAULT}", token: "${VAULT_TOKEN}", prefix: "mig${run}" }`,
  async plant(tenant, name) {
    const r = await fetch(`${VAULT}/v1/secret/data/mig${run}/${tenant}/${name}`, {
      method: "POST",
      headers: { "x-vault-token": VAULT_TOKEN },
      body: JSON.stringify({ data: { other: "tool" } }),
    });
    expect(r.ok).toBe(true);
  },
  async unplant(tenant, name) {
    await fetch(`${VAULT}/v1/secret/metadata/mig${run}/${tenant}/${name}`, { method: "DELETE", headers: { "x-vault-token": VAULT_TOKEN } });
  },
};

const azureTls = process.env.POLYVAULT_TEST_AZURE_CA ? { ca: readFileSync(process.env.POLYVAULT_TEST_AZURE_CA, "utf8") } : { rejectUnauthorized: false };
const azureClient = () =>
  new SecretClient(AZURE, { getToken: async () => ({ token: "dummy", expiresOnTimestamp: Date.now() + 3_600_000 }) }, {
    agent: new Agent(azureTls),
    disableChallengeResourceVerification: true,
  } as never);
const azureNative = (tenant: string, name: string) => {
  const fit = createAzureNameCodec(`mig${run}`).encode(parseTenantId(tenant), name);
  if (!fit.ok) throw new Error(fit.reason);
  return fit.nativeName;
};
const azureTarget: Target = {
  name: "azure",
  yaml: `  azure: { type: azure, vaultUrl: "${AZURE}", credential: { kind: static, token: dummy }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, prefix: "mig${run}" }`,
  async plant(tenant, name) {
    await azureClient().setSecret(azureNative(tenant, name), "other tool");
  },
  async unplant(tenant, name) {
    const c = azureClient();
    await (await c.beginDeleteSecret(azureNative(tenant, name))).pollUntilDone();
    await c.purgeDeletedSecret(azureNative(tenant, name));
  },
};

function suite(target: Target) {
  describe(`migrate aws → ${target.name}`, () => {
    it("preflight lists the oversize value and the colliding name first; after fixes, verify + cutover moves reads", async () => {
      const tenant = `mig-${target.name}-${run}`;
      const sb = sandbox({ prefix: "e2e-mig" });
      const { cwd, env } = sb;
      const cli = (args: string[]) => runCli(sb, args);
      writeFileSync(
        join(cwd, "polyvault.yaml"),
        `providers:\n  aws: { type: aws, region: us-east-1, endpoint: "${AWS}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "mig${run}", concurrency: 16 }\n${target.yaml}\ntenants:\n  ${tenant}: { primary: aws }\n`,
      );
      expect(cli(["init"]).code).toBe(0);
      const rt = await Runtime.open({ dataDir: env.POLYVAULT_HOME, configPath: join(cwd, "polyvault.yaml"), env: {} });
      const oversize = "blob/oversize";
      try {
        const m = rt.manager(tenant);
        for (let i = 0; i < NAMES.length; i += 25) await Promise.all(NAMES.slice(i, i + 25).map((n) => m.set(n, `value of ${n}`)));
        // Fits AWS (64 KiB) but not the target (Azure 19,200 bytes; Vault 512 KiB: 600 KiB would not fit AWS).
        await m.set(oversize, Buffer.alloc(target.name === "azure" ? 30_000 : 60_000, 7));
      } finally {
        await rt.close();
      }
      const colliding = NAMES[0] as string;
      await target.plant(tenant, colliding);

      const pre = cli(["migrate", "--tenant", tenant, "--from", "aws", "--to", target.name, "--json"]);
      expect(pre.code).toBe(1);
      const problems = JSON.parse(pre.out).preflight.problems as Array<{ name: string; problem: string }>;
      const expected = [[colliding, "collision"]];
      if (target.name === "azure") expected.push([oversize, "size"]);
      expect(problems.map((p) => [p.name, p.problem]).sort()).toEqual(expected.sort());
      // Nothing was written to the target: it holds only the other tool's planted secret, unmanaged.
      const seen = await Runtime.open({ dataDir: env.POLYVAULT_HOME, configPath: join(cwd, "polyvault.yaml"), env: {} });
      try {
        const onTarget: Array<[string, boolean]> = [];
        for await (const h of listAll(seen.provider(target.name), parseTenantId(tenant))) onTarget.push([h.name, h.managed]);
        expect(onTarget).toEqual([[colliding, false]]);
      } finally {
        await seen.close();
      }

      await target.unplant(tenant, colliding);
      if (target.name === "azure") expect(cli(["secrets", "delete", oversize, "--tenant", tenant, "--purge"]).code).toBe(0);
      const moved = cli(["migrate", "--tenant", tenant, "--from", "aws", "--to", target.name, "--verify", "--cutover", "--json"]);
      expect(moved.code, moved.stderr).toBe(0);
      const report = JSON.parse(moved.out);
      const count = target.name === "azure" ? NAMES.length : NAMES.length + 1;
      expect(report.verify).toEqual({ checked: count, mismatches: [] });
      expect(report.cutover).toMatchObject({ primary: target.name, mirrors: ["aws"] });
      for (const n of [NAMES[0], NAMES[1], NAMES[3], NAMES[5]] as string[]) {
        const got = JSON.parse(cli(["secrets", "get", n, "--tenant", tenant, "--json"]).out);
        expect(got).toMatchObject({ value: `value of ${n}`, servedBy: target.name, stale: false });
      }
    }, 900_000);
  });
}

suite(vaultTarget);
suite(azureTarget);
