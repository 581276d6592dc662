/**
 * Issue acceptance on the real provider servers: a route from the file provider to aws, vault and azure
 * (the project's test Key Vault) for 2 tenants × 300 secrets; drift on one target; failover reads.
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Runtime } from "@polyvault/runtime";
import { describe, expect, it } from "vitest";
import { cli as runCli, sandbox } from "../harness/cli.js";

const AWS = process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566";
const VAULT = process.env.POLYVAULT_TEST_VAULT_ADDR ?? "http://127.0.0.1:8200";
const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN ?? "polyvault-dev";
const AZURE = process.env.POLYVAULT_TEST_AZURE_URL ?? "https://localhost:8443";
const run = Date.now().toString(36);
const tenants = [`sa-${run}`, `sb-${run}`];

function config(extra = ""): string {
  return `
providers:
  local: { type: file }
  aws: { type: aws, region: us-east-1, endpoint: "${AWS}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "e2e${run}", concurrency: 16 }
  vault: { type: vault, address: "${VAULT}", token: "${VAULT_TOKEN}", prefix: "e2e${run}" }
  azure: { type: azure, vaultUrl: "${AZURE}", credential: { kind: static, token: dummy }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, prefix: "e2e${run}" }
${extra}
routes:
  mirror:
    source: local
    targets: [aws, vault, azure]
    tenants: [${tenants.join(", ")}]
    prune: true
    conflict: source-wins
`;
}

describe("sync to the real servers (aws, vault, azure)", () => {
  const sb = sandbox({ prefix: "e2e-sync" });
  const { cwd, env } = sb;
  const cli = (args: string[], input = "") => runCli(sb, args, input);
  const targets = 3;

  /**
   * 2 tenants × 300 secrets written at the source, planned and applied once: what every test below
   * starts from, made by whichever test runs first (so any one of them can run alone with -t).
   */
  let populated: Promise<{ plan: { summary: Record<string, number>; actions: Array<Record<string, unknown>> }; applied: ReturnType<typeof cli> }> | undefined;
  const populate = () =>
    (populated ??= (async () => {
      writeFileSync(join(cwd, "polyvault.yaml"), config());
      expect(cli(["init"]).code).toBe(0);
      const rt = await Runtime.open({ dataDir: env.POLYVAULT_HOME, configPath: join(cwd, "polyvault.yaml"), env: {}, pushOnWrite: false });
      try {
        for (const t of tenants) {
          const m = rt.manager(t);
          await Promise.all(Array.from({ length: 300 }, (_, i) => m.set(`app/KEY_${i}`, `value-${t}-${i}`)));
        }
      } finally {
        await rt.close();
      }
      const plan = JSON.parse(cli(["sync", "plan", "--json"]).out);
      const applied = cli(["sync", "apply", "--json"]);
      return { plan, applied };
    })());

  it("2 tenants × 300 secrets: plan shows every create; after apply nothing changes, and a second apply writes and reads nothing", async () => {
    const { plan, applied } = await populate();
    expect(plan.summary.create).toBe(600 * targets);
    expect(plan.actions.every((a: Record<string, unknown>) => Object.keys(a).includes("reason") && !("value" in a))).toBe(true);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.out).runs[0].counts).toMatchObject({ created: 600 * targets, failed: 0 });
    expect(JSON.parse(cli(["sync", "plan", "--json"]).out).summary).toMatchObject({ changes: 0, noop: 600 * targets });

    const again = JSON.parse(cli(["sync", "apply", "--json"]).out);
    for (const [name, c] of Object.entries(again.calls as Record<string, { put: number; delete: number; valueReads: number }>)) {
      expect(c.put + c.delete, name).toBe(0);
      expect(c.valueReads, name).toBe(0);
    }
  }, 600_000);

  it("a value changed directly in one target shows as drift for exactly that secret; source-wins repairs it", async () => {
    expect((await populate()).applied.code).toBe(0);
    const rt = await Runtime.open({ dataDir: env.POLYVAULT_HOME, configPath: join(cwd, "polyvault.yaml"), env: {}, pushOnWrite: false });
    try {
      const { SecretManager } = await import("@polyvault/core");
      const inVault = new SecretManager({ tenant: rt.manager(tenants[0] as string).tenant, keyring: rt.keyring, primary: rt.provider("vault") });
      await inVault.set("app/KEY_7", "edited in vault");
    } finally {
      await rt.close();
    }
    const plan = JSON.parse(cli(["sync", "plan", "--json"]).out);
    const changed = plan.actions.filter((a: { action: string }) => a.action !== "noop");
    expect(changed).toEqual([expect.objectContaining({ target: "vault", tenant: tenants[0], name: "app/KEY_7", action: "drift" })]);
    const applied = JSON.parse(cli(["sync", "apply", "--json"]).out);
    expect(applied.runs[0].counts.repaired).toBe(1);
    const back = JSON.parse(cli(["sync", "plan", "--json"]).out);
    expect(back.summary.changes).toBe(0);
  }, 900_000);

  // Latency (first read, then with the breaker open) is measured in bench/sync.mjs, not asserted here.
  it("primary unreachable: reads answer from the mirror, stale, and the primary's breaker opens", async () => {
    expect((await populate()).applied.code).toBe(0);
    const port = await new Promise<number>((res) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const dead = `  dead: { type: aws, region: us-east-1, endpoint: "http://127.0.0.1:${port}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "e2e${run}" }`;
    const text = config()
      .replace("providers:\n", `providers:\n${dead}\n`)
      .replace("routes:", `tenants:\n  ${tenants[0]}: { primary: dead, mirrors: [vault, aws] }\nroutes:`);
    writeFileSync(join(cwd, "failover.yaml"), text);
    const rt = await Runtime.open({ dataDir: env.POLYVAULT_HOME, configPath: join(cwd, "failover.yaml"), env: {}, pushOnWrite: false });
    try {
      const m = rt.manager(tenants[0] as string);
      for (let i = 0; i < 12; i++) {
        const v = await m.get(`app/KEY_${i}`);
        expect(v.servedBy).toBe("vault");
        expect(v.stale).toBe(true);
        expect(v.text()).toBe(`value-${tenants[0]}-${i}`);
      }
      expect(rt.gate("dead").breakerState).toBe("open");
      const json = JSON.parse(cli(["secrets", "get", "app/KEY_3", "--tenant", tenants[0] as string, "--json", "--config", "failover.yaml"]).out);
      expect(json).toMatchObject({ servedBy: "vault", stale: true, value: `value-${tenants[0]}-3` });
      expect(typeof json.mirrorSyncedAt).toBe("string");
    } finally {
      await rt.close();
    }
  }, 900_000);
});
